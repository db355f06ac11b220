import type { Clock } from '../src/index'

/**
 * A clock that moves only when told to, so a benchmark can passivate idle
 * branches on demand (outside the clock it measures with) instead of sleeping
 * through their `idleTimeout`. `advance` sorts the due timers once per pass,
 * so 100,000 branches' idle timers fire in O(n log n), not O(n²).
 */
export class BenchClock implements Clock {
  #now = 0
  #seq = 0
  readonly #timers = new Map<number, { at: number; seq: number; fn: () => void }>()

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq
    this.#timers.set(id, { at: this.#now + ms, seq: id, fn })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number)
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.#now + ms
    for (;;) {
      const due = [...this.#timers].filter(([, t]) => t.at <= target).sort(([, a], [, b]) => a.at - b.at || a.seq - b.seq)
      if (due.length === 0) break
      for (const [id, timer] of due) {
        // A timer fired earlier in this pass may have cleared this one.
        if (!this.#timers.delete(id)) continue
        this.#now = Math.max(this.#now, timer.at)
        timer.fn()
      }
    }
    this.#now = target
  }
}
