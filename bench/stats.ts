/** What one side of a comparison measured. */
export interface Measure {
  /** Who was measured: `keepsake`, `xstate`, `keepsake, 10 alive`... */
  readonly label: string
  /** Median sample: ms (times) or bytes (memory). */
  readonly p50: number
  /** 99th percentile sample, same unit; equals p50 when there is one sample. */
  readonly p99: number
  /** Operations per second over all samples (total operations / total time); times only. */
  readonly opsPerSec: number | undefined
  readonly samples: number
}

/** The `q` quantile (0..1) of ascending `sorted`, interpolated between neighbours. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of no samples')
  const at = (sorted.length - 1) * q
  const lo = Math.floor(at)
  const hi = Math.ceil(at)
  const low = sorted[lo] as number
  return low + ((sorted[hi] as number) - low) * (at - lo)
}

/**
 * Summarizes time samples in ms. `opsPerSample` is how many operations one
 * sample covers (10,000 for "start 10,000 branches"): it scales ops/s only,
 * the percentiles stay per sample.
 */
export function summarizeTimes(label: string, samples: readonly number[], opsPerSample = 1): Measure {
  const sorted = [...samples].sort((a, b) => a - b)
  const total = sorted.reduce((sum, s) => sum + s, 0)
  return {
    label,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    opsPerSec: total > 0 ? (sorted.length * opsPerSample * 1000) / total : undefined,
    samples: sorted.length
  }
}

/** Samples pooled per task name, as `interleave` returns them. */
export type Pool = ReadonlyMap<string, readonly number[]>

/** The pooled samples of the task called `name`. */
export function samplesOf(pool: Pool, name: string): readonly number[] {
  const samples = pool.get(name)
  if (!samples || samples.length === 0) throw new Error(`no samples for "${name}"`)
  return samples
}

/** Summarizes the pooled samples of the task called `name`. */
export function summarizeTask(pool: Pool, name: string, label: string, opsPerSample = 1): Measure {
  return summarizeTimes(label, samplesOf(pool, name), opsPerSample)
}

/** Summarizes sizes in bytes. */
export function summarizeBytes(label: string, samples: readonly number[]): Measure {
  const sorted = [...samples].sort((a, b) => a - b)
  return { label, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), opsPerSec: undefined, samples: sorted.length }
}

/** Per-operation samples from samples that each timed a batch of `batch` operations. */
export function perOperation(samples: readonly number[], batch: number): number[] {
  return samples.map((s) => s / batch)
}
