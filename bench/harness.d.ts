/** One thing to measure. Each call of `fn` is one sample. */
export interface Task {
    readonly name: string;
    /** The timed work. Declare `async` so tinybench never calls it just to find out. */
    readonly fn: () => unknown;
    readonly async: boolean;
    /** Untimed, before this task's turn in every round (e.g. grow a population of branches). */
    readonly before?: () => unknown;
    /** Untimed, after this task's turn in every round (e.g. stop what it started). */
    readonly after?: () => unknown;
    /** Untimed, before every sample (e.g. swap a branch before it hits its restart intensity). */
    readonly beforeEach?: () => unknown;
}
/** How long and how often the tasks of one comparison are sampled. */
export interface Schedule {
    /** Rounds; every round gives each task one turn, in alternating order. */
    readonly rounds: number;
    /** ms of sampling per task and round (0: just `iterations` samples). */
    readonly time: number;
    /** Minimum samples per task and round. */
    readonly iterations: number;
    /** ms of untimed warm-up per task and round (0: none). */
    readonly warmupTime: number;
}
/** True when the process runs with --expose-gc (the bench script passes it). */
export declare const gcExposed: boolean;
/** A full collection, so one task's garbage is not collected on the next task's clock. */
export declare function collectGarbage(): void;
/**
 * Runs `tasks` round by round with tinybench and pools each task's samples
 * (ms per call of `fn`). The tasks of a comparison share the rounds, and their
 * order flips every round, so drift on a shared machine (another tenant, a
 * frequency change, heap growth) lands on both sides instead of on whichever
 * ran second.
 */
export declare function interleave(tasks: readonly Task[], schedule: Schedule): Promise<Map<string, number[]>>;
