/** What one request of a group came to: its value, or the error it alone failed with. */
export type GroupOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown }

/**
 * Group commit, for a store whose writes serialize anyway (PostgresStore's
 * position counter is one row lock): while one write is in flight, the
 * requests that come meanwhile queue, and then go out together, in the order
 * they came, in one `write` (one transaction). Under many concurrent writers
 * that is one commit for many, instead of a queue of transactions each
 * waiting on the lock; a lone request goes at once, as it would without.
 *
 * `write` answers one outcome per request (a request can fail alone, e.g. on
 * a conflict, without the others); if it throws, every request of the group
 * fails with that error.
 */
export class GroupCommit<R, T> {
  readonly #write: (requests: readonly R[]) => Promise<readonly GroupOutcome<T>[]>
  #queued: { readonly request: R; resolve(value: T): void; reject(error: unknown): void }[] = []
  #busy = false

  constructor(write: (requests: readonly R[]) => Promise<readonly GroupOutcome<T>[]>) {
    this.#write = write
  }

  /** Writes `request` in the next group; resolves with its value, or rejects with its error. */
  submit(request: R): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queued.push({ request, resolve, reject })
      if (this.#busy) return
      this.#busy = true
      // After a microtask: requests made in the same synchronous run go in the same group.
      queueMicrotask(() => void this.#drain())
    })
  }

  async #drain(): Promise<void> {
    while (this.#queued.length > 0) {
      const group = this.#queued
      this.#queued = []
      try {
        const outcomes = await this.#write(group.map((q) => q.request))
        group.forEach((q, i) => {
          const outcome = outcomes[i]
          if (outcome?.ok) q.resolve(outcome.value)
          else q.reject(outcome ? outcome.error : new Error('the group write answered no outcome for this request'))
        })
      } catch (error) {
        for (const q of group) q.reject(error)
      }
    }
    this.#busy = false
  }
}
