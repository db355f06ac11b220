import { abortable, readSignal } from '../shared/abort'
import type { EventObject } from 'xstate'
import type { NameRoute } from '../api/messaging'
import { DEFAULT_CALL_TIMEOUT } from '../supervisor/Branch'
import type { CallOptions, CastOptions } from '../supervisor/types'
import { CallTimeoutError, InvalidOptionError, UnknownNameError } from '../shared/errors'
import { MAX_TIMER_MS, systemClock } from '../shared/clock'
import { assertEvent, readDuration, readOptions } from '../shared/validate'
import { NodeUnavailableError } from './errors'
import type { Leases, Owner } from './leases'
import { decodeError, type Reply, type Request } from './wire'

/** What a message sent to a node came to. */
export type Outcome = { readonly reply: Reply } | { readonly unreachable: true } | { readonly timedOut: true }

/**
 * Where a route learns a name's owner: the watch's cache, and the bucket
 * itself after a bounce. `missing` is the error for messages to a name no
 * node holds (default UnknownNameError); a cluster pool's says why its key
 * could not be placed.
 */
export type Owners = Pick<Leases, 'owner' | 'refresh'> & { readonly missing?: (name: string) => Error }

/** How routes reach nodes (the node's NATS connection). */
export interface Transport {
  /** Throws ClusterUnavailableError at once while disconnected. */
  assertConnected(what: string): void
  /** Throws WireValueError, naming the field, for a message that can't cross as it is (checked before it is queued). */
  assertSendable(body: Body): void
  request(node: string, body: Request, timeoutMs: number): Promise<Outcome>
  /** Reports a cast that could not be delivered (it is never dropped silently). */
  dropped(name: string, event: EventObject, error: Error): void
}

/** A message as the route holds it: the tenure it addresses is added when it is sent. */
export type Body = Request extends infer R ? (R extends { o: string } ? Omit<R, 'o'> : never) : never

/** A message waiting for its node's answer. */
interface Pending {
  readonly body: Body
  readonly deadline: number
  readonly eventType: string
  /** The caller's timeout, for the error. */
  readonly timeout: number
  /** The node that last did not exist for it: a timeout then says so (NodeUnavailableError). */
  unreachable?: string
  settle(value: unknown): void
  fail(error: Error): void
}

/** Messages that came back unsent, and those sent after them that have not come back yet. */
interface Bounce {
  readonly bounced: Pending[]
  readonly waiting: Set<Pending>
  /** The node that did not exist, if that is why they bounced (then the next try waits a little). */
  unreachable: string | undefined
}

/** How long a cast may take to reach its branch before it is reported as dropped. */
const CAST_DEADLINE = DEFAULT_CALL_TIMEOUT
/** A call's timeout as it crosses: null for Infinity (JSON has none). */
const wireTimeout = (timeout: number): number | null => (timeout === Infinity ? null : timeout)
/** The longest wait a NATS request takes; a call with a longer timeout (or Infinity) asks for this. */
const FOREVER = MAX_TIMER_MS

/**
 * The messages one node sends to one global name, in order. They go to the
 * owner the watch names, pipelined. If the owner answers `moved` (the branch
 * left) or does not exist (died), every message after it to that node
 * bounces too, since a node takes its messages in order: the route stops
 * sending, waits for them all, asks the bucket for the owner, and sends the
 * bounced messages again, in their order, before anything newer. So a
 * sender's messages reach the branch in the order they were sent, each once.
 */
export class Route implements NameRoute {
  readonly #name: string
  readonly #leases: Owners
  readonly #transport: Transport
  /** Not sent yet (the route is paused, or just submitted). */
  #queue: Pending[] = []
  /** Sent, not answered yet, in sending order. */
  #sent: Pending[] = []
  /** While paused: the bounced messages, and those sent after the first bounce still unanswered. */
  #bounce: Bounce | undefined
  #backoff = 0
  /** Where the messages go now: a node, for one tenure of the name. */
  #owner: Owner | undefined

  readonly #onIdle: () => void

  /** `onIdle` runs whenever the last message in transit has been answered. */
  constructor(name: string, leases: Owners, transport: Transport, onIdle: () => void) {
    this.#name = name
    this.#leases = leases
    this.#transport = transport
    this.#onIdle = onIdle
  }

  /** Nothing queued, in transit or bounced: a message sent now by another path can't overtake one of ours. */
  get idle(): boolean {
    return this.#queue.length === 0 && this.#sent.length === 0 && this.#bounce === undefined
  }

  call(event: EventObject, options?: CallOptions): Promise<unknown> {
    try {
      assertEvent(event)
      const o = readOptions(options, 'call options')
      const timeout = readDuration(o.timeout, 'timeout', DEFAULT_CALL_TIMEOUT, true)
      const signal = readSignal(o.signal)
      if (signal?.aborted) return Promise.reject(signal.reason)
      const dedupe = o.dedupe
      if (dedupe !== undefined && typeof dedupe !== 'boolean') throw new InvalidOptionError('dedupe', 'a boolean', dedupe)
      const body: Body = { k: 'call', n: this.#name, e: event, t: wireTimeout(timeout), ...(dedupe === undefined ? {} : { d: dedupe }) }
      this.#transport.assertSendable(body)
      this.#transport.assertConnected(`a call to "${this.#name}"`)
      // Sent is sent: aborting lets the caller go; the owner still processes the message.
      return abortable(this.#request(event.type, timeout, body), signal)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  callAll(events: readonly EventObject[], options?: CallOptions): Promise<unknown> {
    try {
      if (!Array.isArray(events)) throw new InvalidOptionError('events', 'a non-empty array of events', events)
      const o = readOptions(options, 'call options')
      const timeout = readDuration(o.timeout, 'timeout', DEFAULT_CALL_TIMEOUT, true)
      const signal = readSignal(o.signal)
      if (signal?.aborted) return Promise.reject(signal.reason)
      const body: Body = { k: 'callAll', n: this.#name, es: events, t: wireTimeout(timeout) }
      // First: it reads the array without running a getter or a Proxy trap, which the checks below would.
      this.#transport.assertSendable(body)
      if (events.length === 0) throw new InvalidOptionError('events', 'a non-empty array of events', events)
      for (const event of events) assertEvent(event)
      this.#transport.assertConnected(`a call to "${this.#name}"`)
      return abortable(this.#request((events[0] as EventObject).type, timeout, body), signal)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  cast(event: EventObject, options?: CastOptions): void {
    assertEvent(event)
    const delay = readDuration(readOptions(options, 'cast options').delay, 'delay', 0)
    const body: Body = { k: 'cast', n: this.#name, e: event }
    this.#transport.assertSendable(body)
    this.#transport.assertConnected(`a cast to "${this.#name}"`)
    const submit = () => {
      const deadline = Date.now() + CAST_DEADLINE
      this.#submit({
        body,
        deadline,
        eventType: event.type,
        timeout: CAST_DEADLINE,
        settle: () => undefined,
        fail: (error) => this.#transport.dropped(this.#name, event, error)
      })
    }
    if (delay > 0) systemClock.setTimeout(submit, delay)
    else submit()
  }

  send(message: EventObject, options?: CastOptions): EventObject {
    this.cast(message, options)
    return message
  }

  #request(eventType: string, timeout: number, body: Body): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let done = false
      let pending: Pending | undefined
      const timedOut = () => (pending?.unreachable ? new NodeUnavailableError(this.#name, pending.unreachable) : new CallTimeoutError(this.#name, eventType, timeout))
      const timer = timeout === Infinity ? undefined : systemClock.setTimeout(() => finish(() => reject(timedOut())), timeout)
      const finish = (then: () => void) => {
        if (done) return
        done = true
        if (timer !== undefined) systemClock.clearTimeout(timer)
        then()
      }
      const deadline = timeout === Infinity ? Infinity : Date.now() + timeout
      pending = {
        body,
        deadline,
        eventType,
        timeout,
        settle: (value) => finish(() => resolve(value)),
        fail: (error) => finish(() => reject(error))
      }
      this.#submit(pending)
    })
  }

  #submit(pending: Pending): void {
    this.#queue.push(pending)
    this.#pump()
  }

  #pump(): void {
    if (this.#bounce) return
    const owner = this.#owner ?? this.#leases.owner(this.#name)
    const queue = this.#queue
    this.#queue = []
    if (owner === undefined) {
      for (const p of queue) p.fail(this.#missing())
      return
    }
    this.#owner = owner
    for (const p of queue) this.#send(p, owner)
  }

  #send(pending: Pending, owner: Owner): void {
    const left = pending.deadline - Date.now()
    if (left <= 0) return this.#expire(pending, pending.unreachable)
    if (pending.unreachable !== owner.node) pending.unreachable = undefined
    this.#sent.push(pending)
    // A call carries what is left of the caller's timeout, so the owner's own timeout fires with the same error.
    const b = pending.body
    const body = (b.k === 'cast' ? { ...b, o: owner.tenure } : { ...b, o: owner.tenure, t: b.t === null ? null : Math.max(0, Math.floor(left)) }) as Request
    this.#transport.request(owner.node, body, Math.min(left === Infinity ? FOREVER : left + 1000, FOREVER)).then(
      (outcome) => this.#answered(pending, owner.node, outcome),
      (error: Error) => this.#answered(pending, owner.node, undefined, error)
    )
  }

  #answered(pending: Pending, node: string, outcome: Outcome | undefined, error?: Error): void {
    const index = this.#sent.indexOf(pending)
    if (index >= 0) this.#sent.splice(index, 1)
    if (outcome && 'reply' in outcome && outcome.reply.k === 'moved') return this.#bounced(pending, index, undefined)
    if (outcome && 'unreachable' in outcome) return this.#bounced(pending, index, node)
    this.#bounce?.waiting.delete(pending)
    if (error) pending.fail(error)
    else if (!outcome || 'timedOut' in outcome) this.#expire(pending, undefined)
    else if (outcome.reply.k === 'ok') pending.settle(outcome.reply.value)
    else if (outcome.reply.k === 'err') pending.fail(decodeError(outcome.reply.error))
    this.#resumeIfSettled()
    if (this.idle) this.#onIdle()
  }

  /** `pending` came back unsent; so will everything sent after it to that node. */
  #bounced(pending: Pending, index: number, unreachable: string | undefined): void {
    if (!this.#bounce) {
      // Everything sent after it (still in #sent past `index`) will bounce as well, or time out.
      this.#bounce = { bounced: [], waiting: new Set(this.#sent.slice(Math.max(index, 0))), unreachable }
    }
    this.#bounce.waiting.delete(pending)
    this.#bounce.bounced.push(pending)
    if (unreachable) this.#bounce.unreachable = pending.unreachable = unreachable
    this.#resumeIfSettled()
  }

  #resumeIfSettled(): void {
    const bounce = this.#bounce
    if (!bounce || bounce.waiting.size > 0 || bounce.bounced.length === 0) return
    this.#owner = undefined
    const retryIn = bounce.unreachable ? (this.#backoff = Math.min(Math.max(this.#backoff * 2, 50), 1000)) : 0
    const resend = () => {
      void this.#leases.refresh(this.#name).then(
        (owner) => this.#resume(bounce, owner),
        () => this.#resume(bounce, this.#leases.owner(this.#name))
      )
    }
    if (retryIn > 0) setTimeout(resend, retryIn)
    else resend()
  }

  #resume(bounce: Bounce, owner: Owner | undefined): void {
    if (this.#bounce !== bounce) return
    this.#bounce = undefined
    const again = [...bounce.bounced, ...this.#queue]
    this.#queue = []
    if (owner === undefined) {
      for (const p of again) p.fail(this.#missing())
      return
    }
    const stillGone = owner.node === bounce.unreachable
    if (!stillGone) this.#backoff = 0
    this.#owner = owner
    for (const p of again) {
      if (p.deadline <= Date.now()) this.#expire(p, stillGone ? owner.node : undefined)
      else this.#send(p, owner)
    }
  }

  #missing(): Error {
    return this.#leases.missing?.(this.#name) ?? new UnknownNameError(this.#name)
  }

  #expire(pending: Pending, unreachable: string | undefined): void {
    if (unreachable) pending.fail(new NodeUnavailableError(this.#name, unreachable))
    else pending.fail(new CallTimeoutError(this.#name, pending.eventType, pending.timeout))
  }
}
