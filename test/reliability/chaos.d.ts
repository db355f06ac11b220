export interface ChaosOptions {
    readonly ops: number;
    readonly seed: number;
    readonly branches?: number;
    readonly clients?: number;
}
export interface ChaosReport {
    readonly seed: number;
    readonly ops: number;
    readonly calls: number;
    readonly casts: number;
    readonly poisoned: number;
    /** Hostile messages sent (unkeepable values, unreadable callAll lists and dedupe keys). */
    readonly hostile: number;
    readonly kills: number;
    readonly stops: number;
    readonly transfers: number;
    readonly refused: number;
    readonly violations: readonly string[];
}
/** Runs one chaos session and reports what it did and every invariant it saw broken. */
export declare function runChaos({ ops, seed, branches, clients }: ChaosOptions): Promise<ChaosReport>;
