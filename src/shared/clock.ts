/**
 * Where keepsake reads time and schedules timers. It is a superset of xstate's
 * `Clock`, so the same object also drives the worker's delayed transitions.
 * Inject one (for example a manual clock in tests) to make timing deterministic.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are used. */
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The real clock: `performance.now()` and the global timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>)
}
