import type { Clock } from '../../src/index'

/** A clock that moves only when told to, firing due timers in order. */
export class ManualClock implements Clock {
  #now = 0
  #seq = 0
  readonly #timers = new Map<number, { at: number; fn: () => void }>()

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq
    this.#timers.set(id, { at: this.#now + ms, fn })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number)
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.size
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.#now + ms
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined
      for (const entry of this.#timers) {
        if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry
      }
      if (!next) break
      this.#timers.delete(next[0])
      this.#now = next[1].at
      next[1].fn()
    }
    this.#now = target
  }
}

/**
 * A manual clock whose timers behave as Node's do: a delay over 2^31-1 ms
 * fires after 1 ms. A clock a user builds on the global timers is like this.
 */
export class NodeLikeClock extends ManualClock {
  /** Delays Node's own timers refused (and ran after 1 ms instead). */
  overflows = 0

  override setTimeout(fn: () => void, ms: number): unknown {
    if (ms > 2 ** 31 - 1) this.overflows++
    return super.setTimeout(fn, ms > 2 ** 31 - 1 ? 1 : ms)
  }
}
