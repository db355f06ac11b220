import type { EventObject, Snapshot } from 'xstate'
import type { Clock } from '../shared/clock'
import type { Keeper } from '../keeper/Keeper'
import { swapReplyChannel } from '../worker/reply'
import type { Incarnation } from '../worker/Worker'
import type { Call, CallOwner } from './Call'
import type { Commits } from './Commits'
import { Mailbox } from './Mailbox'
import { probe } from './probe'
import { delivery } from './recursion'

/** A message on its way to the worker; `call` is set for calls. */
export interface Envelope {
  readonly event: EventObject
  readonly call: Call | undefined
  /** For `callAll`: the events after `event`, applied with it all or none. */
  readonly rest?: readonly EventObject[]
  /** For a call made while a worker processed a message: the branches whose calls led to it. */
  readonly chain?: readonly string[]
}

/** What the courier needs of its branch. */
export interface CourierSetup {
  /** The branch, as probe observers are told of it; its id is where a call made while its worker processes a message comes from. */
  readonly subject: { readonly id: string }
  /** Holds the kept state: what a call that got no answer gets. */
  readonly keeper: Keeper
  /** A durable branch's writes: an answer waits for the write of the state it answers from. */
  readonly commits: Commits | undefined
  /** Times delayed casts. */
  readonly clock: Clock
  /**
   * For a branch that passivates: tells it a message arrived; true when that
   * brought a worker back, which delivered the mailbox already.
   */
  readonly wake: (() => boolean) | undefined
}

/**
 * The message path of a branch, top-down: `enqueue` puts a message in the
 * mailbox; `drain` hands queued messages to the current worker one at a time
 * (`deliver`, or `deliverAll` for a `callAll` batch); when the worker has
 * processed one, `settleInFlight` gives a call that got no answer the state.
 * Answers the logic gives inside a transition are held until that state is
 * kept (`release`), and every answer waits for the write of the state it
 * answers from. A remote (isolated) worker processes a message after
 * `deliver` returns: its outcome comes back through the branch's hooks and
 * ends with `processed`.
 *
 * It owns the calls of the current incarnation (it is their `CallOwner`);
 * the branch decides what a crash, a stop or a failed write means for them.
 */
export class Courier implements CallOwner {
  /** The incarnation messages go to; undefined while there is none (restarting, passivated, recovering, stopped). */
  worker: Incarnation | undefined
  readonly #subject: { readonly id: string }
  readonly #keeper: Keeper
  readonly #commits: Commits | undefined
  readonly #clock: Clock
  readonly #wake: (() => boolean) | undefined
  /** Messages waiting for the worker (made on the first that has to wait: most never do). */
  #mailbox: Mailbox<Envelope> | undefined
  #draining = false
  /** The message the worker is processing right now (set past `deliver` only for a remote worker). */
  #inFlight: Envelope | undefined
  /** While a `callAll` batch is delivered: the state before it, where a crash in it goes back to. */
  #batchBase: Snapshot<unknown> | undefined
  /**
   * Answers given inside the running transition, released once its state is kept: the first
   * (the message's own call, most of the time: no array for it), then any more (replies to deferred calls).
   */
  #held: Call | undefined
  #heldValue: unknown
  #heldMore: { call: Call; value: unknown }[] | undefined
  /**
   * Calls of the current incarnation waiting for a deferred reply, each with the write of the
   * state it answers from, the one its message left (made on first use, like #delayed: most branches never need them).
   */
  #deferred: Map<Call, Promise<void> | undefined> | undefined
  /** Timers of delayed casts (made on the first one). */
  #delayed: Set<unknown> | undefined
  /** Set by a graceful stop: called once no call waits for a deferred reply. */
  #whenDeferredSettled: (() => void) | undefined

  constructor(setup: CourierSetup) {
    this.#subject = setup.subject
    this.#keeper = setup.keeper
    this.#commits = setup.commits
    this.#clock = setup.clock
    this.#wake = setup.wake
  }

  /** Messages queued and not yet delivered. */
  get queued(): number {
    return this.#mailbox?.size ?? 0
  }

  /** True when nothing is queued, in flight, held back or waiting for a deferred reply. */
  get quiet(): boolean {
    return !this.#mailbox?.size && !this.#inFlight && !this.#held && !this.#deferred?.size
  }

  // ---- the way in ----------------------------------------------------------

  /** Queues `envelope` and delivers what the worker can take now. */
  enqueue(envelope: Envelope): void {
    if (probe.on) probe.enqueued(this.#subject, envelope.event.type, envelope.call)
    // Nothing queued ahead of it and the worker free (most messages): it goes to the worker without queueing.
    // A branch that passivates is told of every message first, which may bring a worker back.
    if (this.#wake === undefined && !this.#mailbox?.size && this.#free()) this.#run(envelope)
    else this.#queue(envelope)
  }

  /** The mailbox's way in (the rest of `enqueue`, out of line: the message path stays small enough for V8 to inline whole). */
  #queue(envelope: Envelope): void {
    ;(this.#mailbox ??= new Mailbox()).push(envelope)
    if (this.#wake?.()) return
    this.drain()
  }

  /** Queues a cast of `event` in `delay` ms. */
  enqueueLater(event: EventObject, delay: number): void {
    const handle = this.#clock.setTimeout(() => {
      this.#delayed?.delete(handle)
      this.enqueue({ event, call: undefined })
    }, delay)
    ;(this.#delayed ??= new Set()).add(handle)
  }

  /** Delivers queued messages one by one while a worker is up. Re-entrant calls return at once. */
  drain(): void {
    if (this.#mailbox?.size && this.#free()) this.#run(this.#mailbox.shift() as Envelope)
  }

  /** True when the worker can take a message now: one is up, not busy with one (a remote one), not waiting for a write. */
  #free(): boolean {
    // #inFlight stays set past a delivery only while a remote worker processes a message.
    return !this.#draining && this.worker !== undefined && this.#commits?.blocking !== true && this.#inFlight === undefined
  }

  /** Delivers `first`, then queued messages while the worker can take them; messages sent meanwhile queue. */
  #run(first: Envelope): void {
    this.#draining = true
    try {
      let next: Envelope | undefined = first
      do this.#deliver(next)
      while (this.worker !== undefined && this.#commits?.blocking !== true && this.#inFlight === undefined && (next = this.#mailbox?.shift()) !== undefined)
    } finally {
      this.#draining = false
    }
  }

  // ---- delivery --------------------------------------------------------------

  #deliver(envelope: Envelope): void {
    if (envelope.call?.aborted) return // its caller let it go before it was delivered
    if (probe.on) probe.delivered(this.#subject, envelope.event.type, envelope.call)
    if (envelope.rest !== undefined) return this.#deliverAll(envelope, envelope.rest)
    const worker = this.worker as Incarnation
    this.#inFlight = envelope
    this.#commits?.startMessage()
    if (worker.remote) return worker.deliver(envelope.event, envelope.call) // its outcome comes through the hooks
    this.#process(worker, envelope)
    // A crash, exit or stop during delivery settled the call already.
    if (this.#inFlight === envelope) this.settleInFlight()
  }

  /**
   * Delivers a `callAll` batch, nothing in between: if one of its events
   * crashes the worker, it restarts from the state before the batch and none
   * of it is kept or written; otherwise it is written in one go.
   */
  #deliverAll(envelope: Envelope, rest: readonly EventObject[]): void {
    const worker = this.worker as Incarnation
    this.#inFlight = envelope
    this.#commits?.startMessage()
    this.#batchBase = this.#keeper.snapshot
    this.#commits?.openBatch()
    if (worker.remote) return worker.deliver(envelope.event, envelope.call, rest) // all or none over there; `processed` or a crash ends it
    this.#process(worker, envelope)
    this.#batchBase = undefined
    if (this.#inFlight !== envelope) return this.#commits?.abortBatch()
    this.#commits?.closeBatch()
    this.settleInFlight()
  }

  /**
   * Has the in-thread `worker` process `envelope`'s event, then those of its
   * `rest` while none crashed it, inside its delivery context: the call its
   * answers go to, and the branch and call chain a call made meanwhile comes from.
   */
  #process(worker: Incarnation, envelope: Envelope): void {
    const { branch, chain } = delivery
    const call = swapReplyChannel(envelope.call)
    delivery.branch = this.#subject.id
    delivery.chain = envelope.chain
    try {
      worker.deliver(envelope.event)
      if (envelope.rest !== undefined) this.#processRest(worker, envelope, envelope.rest)
    } finally {
      swapReplyChannel(call)
      delivery.branch = branch
      delivery.chain = chain
    }
  }

  /** The events of a `callAll` batch after its first, while none crashed the worker (in the delivery context of its first). */
  #processRest(worker: Incarnation, envelope: Envelope, rest: readonly EventObject[]): void {
    for (const event of rest) {
      if (this.#inFlight !== envelope) return
      worker.deliver(event)
    }
  }

  /** A remote worker processed the message in flight (its states and answers came first). */
  processed(): void {
    this.finished()
    this.drain()
  }

  /**
   * The message in flight ended, the worker still standing or just finished (a final state): a
   * `callAll` batch of it is written whole, and its call gets the state, as at the end of any message.
   */
  finished(): void {
    this.#batchBase = undefined
    if (this.#inFlight?.rest) this.#commits?.closeBatch()
    this.settleInFlight()
  }

  /** The message in flight was processed: a call that got no answer gets the state. */
  settleInFlight(): void {
    const call = this.#inFlight?.call
    this.#inFlight = undefined
    if (call?.pending) this.#settleUnanswered(call)
  }

  /** A call whose message was processed without an answer: it gets the state, or waits for its deferred reply. */
  #settleUnanswered(call: Call): void {
    if (call.deferred) this.#deferred?.set(call, this.#commits?.current)
    else this.#resolveAfter(call, this.#keeper.state, this.#commits?.current)
  }

  /** Resolves `call` with `value` once `commit`, the write of the state it answers from, is done (at once without one). */
  #resolveAfter(call: Call, value: unknown, commit: Promise<void> | undefined): void {
    if (!commit) call.resolve(value)
    else if (!this.#commits?.replyAfter(commit, call, value)) resolveAfter(call, value, commit)
  }

  /** A state was kept: the answers given while it was made go out, once it is durable. */
  release(): void {
    if (this.#held !== undefined) this.#releaseHeld(this.#held)
  }

  #releaseHeld(call: Call): void {
    const value = this.#heldValue
    const more = this.#heldMore
    this.#dropHeld()
    this.#resolveAfter(call, value, this.#commits?.current)
    for (const held of more ?? []) this.#resolveAfter(held.call, held.value, this.#commits?.current)
  }

  #dropHeld(): void {
    this.#held = undefined
    this.#heldValue = undefined
    this.#heldMore = undefined
  }

  // ---- the calls (CallOwner) -------------------------------------------------

  /** The logic answered `call`: inside a transition the answer waits for its state to be kept. */
  answered(call: Call, value: unknown): void {
    // A deferred reply given outside a transition waits for its message's write; while that message is still
    // being delivered (a subscriber of its state answering) the write is not noted yet: the newest covers it.
    if (!this.worker?.inTransition) return this.#resolveAfter(call, value, this.#deferred?.get(call) ?? this.#commits?.current)
    if (!this.#held) {
      this.#held = call
      this.#heldValue = value
    } else (this.#heldMore ??= []).push({ call, value })
  }

  /** The logic deferred `call`'s answer: it waits past its message. */
  deferred(call: Call): void {
    ;(this.#deferred ??= new Map()).set(call, undefined)
  }

  /** `call` settled, one way or another. */
  settled(call: Call): void {
    if (probe.on) probe.settled(this.#subject, call)
    this.#deferred?.delete(call)
    if (this.#whenDeferredSettled && !this.#deferred?.size) this.#whenDeferredSettled()
  }

  /** Calls `done` once no call waits for a deferred reply (now, if none does). */
  whenDeferredSettled(done: () => void): void {
    this.#whenDeferredSettled = done
    if (!this.#deferred?.size) done()
  }

  /** True while some call waits for a deferred reply. */
  get awaitingDeferred(): boolean {
    return (this.#deferred?.size ?? 0) > 0
  }

  // ---- when the worker goes --------------------------------------------------

  /** The state a crash goes back to: the one before the `callAll` batch in flight, else the kept one. Forgets the batch's. */
  takeRestoreBase(): Snapshot<unknown> | undefined {
    const base = this.#batchBase ?? this.#keeper.snapshot
    this.#batchBase = undefined
    return base
  }

  /** Takes off the message in flight (its worker is gone): a batch of it is not written. */
  takeInFlight(): Envelope | undefined {
    const envelope = this.#inFlight
    this.#inFlight = undefined
    this.#batchBase = undefined
    if (envelope?.rest) this.#commits?.abortBatch()
    return envelope
  }

  /**
   * The worker goes before it finished the message in flight, and the branch
   * lives on (a transfer): the message goes first to the next incarnation.
   * `applied`: a state the (remote) worker reported holds it already.
   */
  requeueInFlight(applied: boolean): void {
    const envelope = this.#inFlight
    if (!envelope) return
    // Delivered again, an applied message would count twice: it is done, and its call gets the kept state, as at the end of any message.
    if (!envelope.rest && applied) return this.settleInFlight()
    // Any other message goes first to the next incarnation (its state was not kept).
    this.takeInFlight()
    ;(this.#mailbox ??= new Mailbox()).unshift(envelope)
  }

  /** Rejects the call in flight, answers held back, and deferred calls. */
  rejectPending(inFlight: Call | undefined, error: (call: Call) => unknown): void {
    const held = this.#held ? [this.#held, ...(this.#heldMore ?? []).map((h) => h.call)] : []
    this.#dropHeld()
    const calls = [...(inFlight ? [inFlight] : []), ...held, ...(this.#deferred?.keys() ?? [])]
    for (const call of calls) call.reject(error(call))
  }

  /** The branch stopped: every call it holds, in flight, pending or queued, gets `error`; delayed casts are dropped. */
  rejectAll(error: unknown): void {
    const inFlight = this.#inFlight
    this.#inFlight = undefined
    this.rejectPending(inFlight?.call, () => error)
    for (const { call } of this.#mailbox?.takeAll() ?? []) call?.reject(error)
  }

  /** Drops the casts still waiting for their delay. */
  cancelDelayed(): void {
    for (const handle of this.#delayed ?? []) this.#clock.clearTimeout(handle)
    this.#delayed = undefined
  }
}

/** Resolves `call` with `value` once `commit`, the write of the state it answers from, is done. */
function resolveAfter(call: Call, value: unknown, commit: Promise<void>): void {
  commit.then(() => call.resolve(value), (error: unknown) => call.reject(error))
}
