/**
 * Where keepsake reads time and schedules timers. It is a superset of xstate's
 * `Clock`, so the same object also drives the worker's delayed transitions.
 * Inject one (for example a manual clock in tests) to make timing deterministic.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are used. */
  now(): number
  /** Calls `fn` after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown
  /** Cancels a timer `setTimeout` returned; a handle already fired or cleared is ignored. */
  clearTimeout(handle: unknown): void
}

/**
 * The longest delay one Node or browser timer takes (2^31-1 ms, ~24.8 days):
 * a longer one fires after 1 ms instead.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** A timer longer than MAX_TIMER_MS: a chain of shorter ones on the clock beneath. */
class LongTimer {
  /** The clock's handle of the link now pending. */
  handle: unknown
}

const withLongTimersCache = new WeakMap<Clock, Clock>()
const chained = new WeakSet<Clock>()

/**
 * `clock` with timers of any length: a delay past MAX_TIMER_MS is waited out
 * as a chain of timers of at most that long, so it fires when due instead of
 * at once; `Infinity` never fires. Shorter timers are the clock's own. The
 * clock is called as given (its methods may live on a class's prototype).
 */
export function withLongTimers(clock: Clock): Clock {
  if (chained.has(clock)) return clock
  let wrapped = withLongTimersCache.get(clock)
  if (wrapped) return wrapped
  const arm = (timer: LongTimer, fn: () => void, left: number): void => {
    const step = Math.min(left, MAX_TIMER_MS)
    timer.handle = clock.setTimeout(() => (left > step ? arm(timer, fn, left - step) : fn()), step)
  }
  wrapped = {
    now: () => clock.now(),
    setTimeout: (fn, ms) => {
      if (!(ms > MAX_TIMER_MS)) return clock.setTimeout(fn, ms)
      const timer = new LongTimer()
      arm(timer, fn, ms)
      return timer
    },
    clearTimeout: (handle) => clock.clearTimeout(handle instanceof LongTimer ? handle.handle : handle)
  }
  chained.add(wrapped)
  withLongTimersCache.set(clock, wrapped)
  return wrapped
}

/** The real clock: `performance.now()` and the global timers, of any length. */
export const systemClock: Clock = withLongTimers({
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>)
})

/**
 * `promise`, or a rejection with `timedOut()` if `ms` pass first (never for
 * Infinity); the timer goes once either settles. For a wait whose work can't
 * be taken back: it goes on, its outcome is dropped.
 */
export function within<T>(promise: Promise<T>, ms: number, timedOut: () => Error, clock: Clock = systemClock): Promise<T> {
  if (ms === Infinity) return promise
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(timedOut()), ms)
    promise.then(
      (value) => {
        clock.clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clock.clearTimeout(timer)
        reject(error)
      }
    )
  })
}
