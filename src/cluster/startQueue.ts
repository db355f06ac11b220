/**
 * Starts of keys a node took over in a move (a leaving node hands over
 * thousands at once), run at most `limit` at a time so they don't all wait
 * on the store together: first come, first started, except a key that a
 * message is waiting for, which `hurry` starts next.
 */
export class StartQueue {
  readonly #limit: number
  readonly #queued = new Map<string, () => Promise<void>>()
  /** Queued starts a message waits for: run before the others. */
  readonly #urgent = new Map<string, () => Promise<void>>()
  #running = 0

  constructor(limit: number) {
    this.#limit = Math.max(1, limit)
  }

  /** Runs `start` for `key` once a slot is free. */
  run(key: string, start: () => Promise<void>): void {
    this.#queued.set(key, start)
    this.#next()
  }

  /** A message waits for `key`: if its start is queued, it runs before the others queued. */
  hurry(key: string): void {
    const start = this.#queued.get(key)
    if (!start) return
    this.#queued.delete(key)
    this.#urgent.set(key, start)
  }

  /** Keys waiting for a slot. */
  get size(): number {
    return this.#queued.size + this.#urgent.size
  }

  #next(): void {
    while (this.#running < this.#limit && this.size > 0) {
      const from = this.#urgent.size > 0 ? this.#urgent : this.#queued
      const [key, start] = from.entries().next().value as [string, () => Promise<void>]
      from.delete(key)
      this.#running++
      // A start reports its own failure (it releases its key): a rejection here would only be unhandled.
      void start()
        .catch(() => undefined)
        .finally(() => {
          this.#running--
          this.#next()
        })
    }
  }
}
