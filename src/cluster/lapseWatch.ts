/**
 * Requests in flight to other nodes, failed as soon as their node's
 * heartbeat lapses (its life no longer live) instead of when their own
 * timeout ends: a node that died answers nothing, and one that stalled
 * answers once it wakes, after its keys were placed elsewhere. One timer per
 * watch, running only while something is watched.
 */
export class LapseWatch {
  readonly #heartbeat: (node: string) => { readonly inc: string } | undefined
  readonly #periodMs: number
  /** Per node: the life it was in when each request was sent, and how to fail the request. */
  readonly #watched = new Map<string, Set<{ readonly inc: string; readonly lapsed: () => void }>>()
  #timer: ReturnType<typeof setInterval> | undefined

  /** `heartbeat(node)` is undefined once the node's heartbeat lapsed; it is checked every `periodMs`. */
  constructor(heartbeat: (node: string) => { readonly inc: string } | undefined, periodMs: number) {
    this.#heartbeat = heartbeat
    this.#periodMs = periodMs
  }

  /**
   * `request`'s result, or a rejection with `lapsed()` if `node`'s heartbeat
   * (in the life it had now) lapses first. A node already not live is not
   * watched: the request's own outcome (no responders, a timeout) answers.
   */
  watch<T>(node: string, request: Promise<T>, lapsed: () => Error): Promise<T> {
    const inc = this.#heartbeat(node)?.inc
    if (inc === undefined) return request
    return new Promise<T>((resolve, reject) => {
      let set = this.#watched.get(node)
      if (!set) this.#watched.set(node, (set = new Set()))
      const entry = { inc, lapsed: () => reject(lapsed()) }
      set.add(entry)
      this.#start()
      const done = () => {
        set.delete(entry)
        if (set.size === 0 && this.#watched.get(node) === set) this.#watched.delete(node)
        if (this.#watched.size === 0) this.#stop()
      }
      request.then(
        (value) => {
          done()
          resolve(value)
        },
        (error: unknown) => {
          done()
          reject(error)
        }
      )
    })
  }

  #start(): void {
    if (this.#timer !== undefined) return
    this.#timer = setInterval(() => this.#check(), this.#periodMs)
    this.#timer.unref()
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #check(): void {
    for (const [node, set] of this.#watched) {
      const inc = this.#heartbeat(node)?.inc
      for (const entry of [...set]) {
        if (entry.inc === inc) continue
        set.delete(entry)
        entry.lapsed()
      }
      if (set.size === 0) this.#watched.delete(node)
    }
    if (this.#watched.size === 0) this.#stop()
  }
}
