import type { Clock } from '../shared/clock'
import { CallTimeoutError } from '../shared/errors'
import { releaseToken, type ReplyChannel, type ReplyToken } from '../worker/reply'
import { timeoutsFor, type Expiring, type Timeouts } from './callTimeouts'

/** What a call tells the branch it belongs to. */
export interface CallOwner {
  /** The logic answered `call` with `value`; the owner decides when the caller gets it. */
  answered(call: Call, value: unknown): void
  /** The logic deferred `call`'s answer. */
  deferred(call: Call): void
  /** `call` settled (resolved, rejected or timed out). */
  settled(call: Call): void
}

const PENDING = 0
const RESOLVED = 1
const REJECTED = 2

/**
 * One `call`: a request waiting for its reply. It settles exactly once; after
 * that every answer is dropped, so a late reply never reaches anyone. Its
 * promise is made only when asked for, so a call answered synchronously costs
 * no promise executor and no timer.
 */
export class Call implements ReplyChannel, Expiring {
  readonly branchId: string
  readonly eventType: string
  readonly #owner: CallOwner
  #state = PENDING
  #answered = false
  #outcome: unknown
  #token: ReplyToken | undefined
  /** The timer that expires this call while it is pending, and its slot there. */
  #timeouts: Timeouts | undefined
  #slot = 0
  #resolve: ((value: unknown) => void) | undefined
  #reject: ((error: unknown) => void) | undefined
  /** The caller's signal and its listener, while the call is pending. */
  #abort: { signal: AbortSignal; listener: () => void } | undefined
  #aborted = false

  constructor(owner: CallOwner, branchId: string, eventType: string) {
    this.#owner = owner
    this.branchId = branchId
    this.eventType = eventType
  }

  get pending(): boolean {
    return this.#state === PENDING
  }

  /** True once the call was rejected (or timed out). */
  get failed(): boolean {
    return this.#state === REJECTED
  }

  /** What the call settled with: its value, or its error if it failed. */
  get outcome(): unknown {
    return this.#outcome
  }

  /** True once the caller's signal aborted the call: its message, if still queued, is not delivered. */
  get aborted(): boolean {
    return this.#aborted
  }

  /** True once the logic took this call's reply token. */
  get deferred(): boolean {
    return this.#token !== undefined
  }

  answer(value: unknown): boolean {
    if (this.#state !== PENDING || this.#answered) return false
    this.#answered = true
    this.#owner.answered(this, value)
    return true
  }

  markDeferred(token: ReplyToken): ReplyToken | undefined {
    if (this.#state === PENDING && this.#token === undefined) {
      this.#token = token
      this.#owner.deferred(this)
    }
    return this.#token
  }

  /** Rejects the call with a {@link CallTimeoutError} unless it settles within `ms`. */
  arm(ms: number, clock: Clock): void {
    if (this.#state !== PENDING || ms === Infinity) return
    this.#timeouts = timeoutsFor(ms, clock)
    this.#slot = this.#timeouts.add(this)
  }

  /** Its timeout came while pending: rejects with a {@link CallTimeoutError}. */
  expire(ms: number): void {
    this.reject(new CallTimeoutError(this.branchId, this.eventType, ms))
  }

  /** Rejects the call with `signal.reason` when `signal` aborts before it settles. */
  abortOn(signal: AbortSignal): void {
    if (this.#state !== PENDING) return
    if (signal.aborted) return this.#abortWith(signal)
    // No `once`: settling removes the listener, and a listener removed mid-dispatch is not called.
    const listener = () => this.#abortWith(signal)
    signal.addEventListener('abort', listener)
    this.#abort = { signal, listener }
  }

  #abortWith(signal: AbortSignal): void {
    // Settling removes the listener, but a signal of the caller's own making may still call it.
    if (this.#state !== PENDING) return
    this.#aborted = true
    this.reject(signal.reason)
  }

  resolve(value: unknown): void {
    if (this.#settle(RESOLVED, value)) this.#resolve?.(value)
  }

  reject(error: unknown): void {
    if (this.#settle(REJECTED, error)) this.#reject?.(error)
  }

  /** The caller's promise. */
  promise(): Promise<unknown> {
    if (this.#state === RESOLVED) return Promise.resolve(this.#outcome)
    if (this.#state === REJECTED) return Promise.reject(this.#outcome)
    return new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
  }

  #settle(state: number, outcome: unknown): boolean {
    if (this.#state !== PENDING) return false
    this.#state = state
    this.#outcome = outcome
    this.#timeouts?.remove(this.#slot)
    this.#timeouts = undefined
    if (this.#abort) this.#abort.signal.removeEventListener('abort', this.#abort.listener)
    this.#abort = undefined
    if (this.#token !== undefined) releaseToken(this.#token)
    this.#owner.settled(this)
    return true
  }
}
