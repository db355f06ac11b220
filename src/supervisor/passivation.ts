import type { Clock } from '../shared/clock'

/**
 * What the idle timer asks of its branch. The branch itself implements it
 * (rather than an object of closures per branch), which keeps a passivated
 * branch small: it is what a pool holds per idle key.
 */
export interface IdleHost {
  /**
   * True when the worker may be let go without anyone noticing: a worker is
   * up and nothing is queued, in flight, awaiting a reply or a write, and the
   * worker has no child actors or delayed events of its own running.
   */
  _canPassivate(): boolean
  /** Resolves once the branch's durable writes have ended (undefined when it has none). */
  _idleSettled(): Promise<void> | undefined
  /** Stops the worker, keeping its state. Called only when `_canPassivate()`. */
  _passivate(): void
}

/**
 * Passivates a branch after `ms` with no message (Orleans' idle collection,
 * hb_persistent's `worker_timeout`). It costs a message one `clock.now()`:
 * the timer is not reset per message; when it fires, it looks at the time of
 * the last one and sleeps again for what is left. A branch that can't be let
 * go (busy, or running timers or children of its own) is checked again one
 * full period later. A durable branch's writes are settled first; a message
 * that arrives meanwhile cancels the passivation.
 */
export class IdleTimer {
  readonly #ms: number
  readonly #clock: Clock
  readonly #host: IdleHost
  #last: number
  /** Messages seen, to tell whether one arrived while the writes settled. */
  #messages = 0
  #timer: unknown
  #armed = false

  constructor(ms: number, clock: Clock, host: IdleHost) {
    this.#ms = ms
    this.#clock = clock
    this.#host = host
    this.#last = clock.now()
  }

  /** A message arrived. */
  touch(): void {
    this.#messages++
    this.#last = this.#clock.now()
  }

  /** Starts watching (a worker is up); harmless if already watching. */
  arm(): void {
    if (this.#armed) return
    this.#last = this.#clock.now()
    this.#schedule(this.#ms)
  }

  /** Stops watching (the branch passivated or stopped). */
  cancel(): void {
    if (this.#armed) this.#clock.clearTimeout(this.#timer)
    this.#armed = false
    this.#timer = undefined
  }

  #schedule(ms: number): void {
    this.#armed = true
    this.#timer = this.#clock.setTimeout(() => this.#fire(), ms)
  }

  #fire(): void {
    const idle = this.#clock.now() - this.#last
    if (idle < this.#ms) return this.#schedule(this.#ms - idle)
    if (!this.#host._canPassivate()) return this.#schedule(this.#ms)
    const settled = this.#host._idleSettled()
    if (!settled) return this.#letGo()
    const messages = this.#messages
    this.#timer = undefined // armed, waiting for the writes
    void settled.then(() => {
      if (!this.#armed || this.#timer !== undefined) return // cancelled (or re-armed) meanwhile
      if (this.#messages !== messages || !this.#host._canPassivate()) return this.#schedule(this.#ms)
      this.#letGo()
    })
  }

  #letGo(): void {
    this.#armed = false
    this.#timer = undefined
    this.#host._passivate()
  }
}
