declare const KEEPERS: readonly ["memory", "snapshot", "journal"];
export interface HostileOutcome {
    readonly keeper: (typeof KEEPERS)[number];
    readonly value: string;
    /** What the call sending it got: 'resolved', or the error's class and its cause's. */
    readonly call: string;
    /** What the cast's `crash` event carried ('none' if it was kept). */
    readonly cast: string;
    /** The state's count after one `inc` sent after each: 2 if the branch kept answering. */
    readonly after: number;
    readonly status: string;
}
export {};
