import type { Schedule } from './harness';
/**
 * How much sampling a run does. The full run is sized to finish in a few
 * minutes on a shared 2-core machine; `--quick` is a CI smoke test that only
 * has to prove every benchmark still runs (its numbers are rough).
 */
export interface Profile {
    readonly quick: boolean;
    /** Microsecond operations: call, cast, restart with a small state. */
    readonly fast: Schedule;
    /** Millisecond operations: xstate's restore of a 1 MB snapshot. */
    readonly slow: Schedule;
    /** Calls while a population of branches is alive (each round may regrow it). */
    readonly population: Schedule;
    /** How many branches to start in the start-time lines. */
    readonly startCounts: readonly number[];
    /** Rounds of each start-time line (each round starts the whole count). */
    readonly startRounds: number;
    /** Branches (and bare actors) alive when heap per branch is measured. */
    readonly memoryCount: number;
    /** Durable writes: a sample is one write to SQLite, or one batch of them (~0.01-10 ms). */
    readonly durableWrites: Schedule;
    /** Journal lengths recovered (events); the target is for 1,000,000. */
    readonly journalLengths: readonly number[];
    /** Recoveries: a sample is one recovery (~1 ms with a snapshot, seconds for 1M events without). */
    readonly recovery: Schedule;
}
export declare function readProfile(args: readonly string[]): Profile;
