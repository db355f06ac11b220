/** What one side of a comparison measured. */
export interface Measure {
    /** Who was measured: `keepsake`, `xstate`, `keepsake, 10 alive`... */
    readonly label: string;
    /** Median sample: ms (times) or bytes (memory). */
    readonly p50: number;
    /** 99th percentile sample, same unit; equals p50 when there is one sample. */
    readonly p99: number;
    /** Operations per second over all samples (total operations / total time); times only. */
    readonly opsPerSec: number | undefined;
    readonly samples: number;
}
/** The `q` quantile (0..1) of ascending `sorted`, interpolated between neighbours. */
export declare function quantile(sorted: readonly number[], q: number): number;
/**
 * Summarizes time samples in ms. `opsPerSample` is how many operations one
 * sample covers (10,000 for "start 10,000 branches"): it scales ops/s only,
 * the percentiles stay per sample.
 */
export declare function summarizeTimes(label: string, samples: readonly number[], opsPerSample?: number): Measure;
/** Samples pooled per task name, as `interleave` returns them. */
export type Pool = ReadonlyMap<string, readonly number[]>;
/** The pooled samples of the task called `name`. */
export declare function samplesOf(pool: Pool, name: string): readonly number[];
/** Summarizes the pooled samples of the task called `name`. */
export declare function summarizeTask(pool: Pool, name: string, label: string, opsPerSample?: number): Measure;
/** Summarizes sizes in bytes. */
export declare function summarizeBytes(label: string, samples: readonly number[]): Measure;
/** Per-operation samples from samples that each timed a batch of `batch` operations. */
export declare function perOperation(samples: readonly number[], batch: number): number[];
