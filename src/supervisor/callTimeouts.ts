import { MAX_TIMER_MS, systemClock, type Clock } from '../shared/clock'

/** What a timeout expires: a call still pending when its time is up. */
export interface Expiring {
  /** Time is up: `ms` passed since the call was armed. */
  expire(ms: number): void
}

/*
 * Why calls share timers: a call that waits (every durable call waits for its
 * write) arms a timeout and clears it when answered, and on Node that pair
 * (~0.3 µs, a `Timeout` object and its list bookkeeping) was the largest single
 * item of a durable call. Calls of one duration armed on the system clock
 * within one millisecond of each other share one Node timer, armed 1 ms longer:
 * none expires earlier than a timer of its own would, none more than ~1 ms
 * later (Node's timers keep time in whole milliseconds themselves). The timer is ref'd while
 * a call waits on it; when the last one is answered it is unref'd while calls
 * may still join it (a stream of calls answered one by one reuses it too), and
 * cleared once they may not, so at most one idle timer per duration is left.
 *
 * Sharing reads the clock's time, so it is only for the system clock with
 * Node's own timers: a test that fakes the global `setTimeout` but not
 * `performance.now()` would otherwise see calls armed at different fake times
 * expire together. Any other clock, or a faked global, gets one timer per call,
 * exact to that clock.
 */

/** The global timers as this module found them. */
const nodeSetTimeout = globalThis.setTimeout
const nodeClearTimeout = globalThis.clearTimeout

/** Whether that is Node's own (its handle a `Timeout`; a fake installed before this module loaded gives a plain object). */
const nodeTimers = ((): boolean => {
  const probe: unknown = nodeSetTimeout(() => {}, 1)
  nodeClearTimeout(probe as NodeJS.Timeout)
  return typeof probe === 'object' && probe !== null && probe.constructor?.name === 'Timeout'
})()

/** Real time, as this module found it: a fake `performance.now()` installed later does not move the windows below. */
const realNow = performance.now.bind(performance)

/** The system clock's shared timers still open to calls joining, by duration. */
const joinable = new Map<number, Timeouts>()

/**
 * One timer and the calls it expires. A call `add`s itself, keeps the slot it
 * got, and `remove`s it once settled; when the timer fires, every call still
 * in it expires, in the order added.
 */
export class Timeouts {
  /** The duration the calls asked for (the error names it). */
  readonly ms: number
  /** When a shared timer opened (`realNow`); NaN for a call's own. */
  readonly #opened: number
  readonly #handle: unknown
  /** The clock of a call's own timer; undefined for a shared Node timer. */
  readonly #clock: Clock | undefined
  #waiting: (Expiring | undefined)[] = []
  #live = 0
  #fired = false

  constructor(ms: number, clock: Clock | undefined, opened: number) {
    this.ms = ms
    this.#opened = opened
    this.#clock = clock
    this.#handle = clock ? clock.setTimeout(() => this.#fire(), ms) : nodeSetTimeout(() => this.#fire(), ms + 1)
  }

  /** True while a call armed now may join: a shared timer, unfired, opened less than 1 ms before `now`. */
  joinableAt(now: number): boolean {
    return !this.#fired && now - this.#opened < 1
  }

  /** Adds `target`; returns its slot for `remove`. */
  add(target: Expiring): number {
    if (this.#live++ === 0 && this.#clock === undefined) (this.#handle as NodeJS.Timeout).ref()
    return this.#waiting.push(target) - 1
  }

  /** The call in `slot` settled: it no longer expires. */
  remove(slot: number): void {
    if (this.#fired) return
    this.#waiting[slot] = undefined
    if (--this.#live > 0) return
    if (this.#clock) return this.#clock.clearTimeout(this.#handle)
    if (joinable.get(this.ms) !== this) return this.#clear()
    ;(this.#handle as NodeJS.Timeout).unref()
    this.#waiting.length = 0
  }

  /** No call may join any more: a shared timer no call waits on goes now, rather than firing idle. */
  retire(): void {
    if (this.#live === 0) this.#clear()
  }

  #clear(): void {
    this.#fired = true
    nodeClearTimeout(this.#handle as NodeJS.Timeout)
  }

  #fire(): void {
    this.#fired = true
    if (joinable.get(this.ms) === this) joinable.delete(this.ms)
    const waiting = this.#waiting
    this.#waiting = []
    this.#live = 0
    for (const target of waiting) target?.expire(this.ms)
  }
}

/** Where a call of `ms` on `clock` keeps its timeout: a shared timer of the system clock, or one of its own. */
export function timeoutsFor(ms: number, clock: Clock): Timeouts {
  if (clock !== systemClock || !nodeTimers || globalThis.setTimeout !== nodeSetTimeout || !(ms < MAX_TIMER_MS)) {
    return new Timeouts(ms, clock, NaN)
  }
  const now = realNow()
  const current = joinable.get(ms)
  if (current !== undefined) {
    if (current.joinableAt(now)) return current
    current.retire()
  }
  const opened = new Timeouts(ms, undefined, now)
  joinable.set(ms, opened)
  return opened
}
