import type { AppendRequest, StoredEvent } from '../../src/stores/KeeperStore';
/**
 * A deterministic stream of appends for the crash tests: a writer process
 * performs it and acknowledges each step; the test regenerates the same
 * stream from the seed to know exactly what each step wrote.
 */
/** One step: a single append (one request) or a batch across two branches. */
export type Step = AppendRequest[];
/** The payload every workload event carries: which step and which event of it wrote it. */
export interface WorkloadPayload {
    step: number;
    index: number;
    filler: string;
}
/** The seeded PRNG the workload draws from (re-exported for the tests that replay it). */
export { prng as random } from '../support/prng';
/** The workload for `seed`: an endless stream of steps. */
export declare function workload(seed: number): Generator<Step>;
/** The first `count` steps of the workload for `seed`. */
export declare function firstSteps(seed: number, count: number): Step[];
/** What each branch's journal holds after `steps`, as (type, payload) per event. */
export declare function journalsAfter(steps: readonly Step[]): Record<string, unknown[]>;
/** The stored journals in the same shape as `journalsAfter`. */
export declare function journalsOf(events: readonly StoredEvent[]): Record<string, unknown[]>;
