import type { EventObject, Snapshot } from 'xstate'
import type { PendingDelay } from '../delays'
import type { ReplyChannel, ReplyToken } from '../reply'
import type { RestorePoint, ResumePoint } from '../restorePoint'
import type { Incarnation, WorkerHooks, WorkerOptions } from '../Worker'
import type { Tables } from '../../keeper/Tables'
import { applyChanges } from '../../shared/changes'
import { findUncloneable } from './cloneable'
import { WorkerExitedError, WorkerHungError } from './errors'
import { checkHostMessage, expandCalled, fromWire, type EventReport, type HostMessage, type SnapshotMessage, type WirePoint, type WireTables } from './protocol'
import { spawnHost, type HostLink } from './transport'
import type { IsolationConfig } from './options'

/** A call as the proxy needs it: answered, deferred, or rejected when its reply can't cross. */
interface RemoteCall extends ReplyChannel {
  reject(error: unknown): void
}

/** The message being processed over there: its call's ref and its watchdog. */
interface Busy {
  readonly ref: number
  readonly eventType: string
  timer: unknown
  /** A state that holds this message has arrived (its `processed` has not yet). */
  applied?: boolean
}

/** What an isolated incarnation needs from its branch, besides the hooks. */
export interface IsolatedOptions extends WorkerOptions {
  readonly tables: Tables
  readonly branchId: string
}

/**
 * A branch's isolated workers: the host (a worker thread or a child process)
 * that runs them, kept across the crashes that leave it healthy and started
 * again when it died, hung or was killed. One per branch; each incarnation is
 * an {@link IsolatedWorker}.
 */
export class IsolatedRunner {
  readonly config: IsolationConfig
  readonly #events: EventReport | undefined
  #host: HostLink | undefined
  #current: IsolatedWorker | undefined

  /** `events`: what the host reports of each processed event, for a durable branch (see {@link EventReport}). */
  constructor(config: IsolationConfig, events?: EventReport) {
    this.config = config
    this.#events = events
  }

  /** A new incarnation, on the live host or a new one. */
  incarnate(incarnation: number, point: RestorePoint, hooks: Required<Omit<WorkerHooks, 'emitted'>>, options: IsolatedOptions): IsolatedWorker {
    const host = this.#host ?? this.#spawn(options.tables)
    const worker = new IsolatedWorker(this, host, incarnation, point, hooks, options)
    this.#current = worker
    return worker
  }

  /** Ends `host` (it hung, or was busy when its incarnation was killed). */
  kill(host: HostLink): void {
    if (this.#host === host) this.#host = undefined
    host.kill()
  }

  /** The branch stopped: no host remains. */
  close(): void {
    this.#current = undefined
    if (this.#host) this.kill(this.#host)
  }

  #spawn(tables: Tables): HostLink {
    const { url, typescript } = this.config.module
    const host: HostLink = spawnHost(
      { mode: this.config.mode, typescript, resourceLimits: this.config.resourceLimits },
      {
        message: (message) => this.#receive(host, message, tables),
        exit: (how, cause) => {
          if (this.#host !== host) return
          this.#host = undefined
          this.#current?.hostDied(how, cause)
        }
      }
    )
    this.#host = host
    host.post({ t: 'load', url, export: this.config.module.export, ...(this.#events ? { events: this.#events } : {}) })
    return host
  }

  #receive(host: HostLink, message: HostMessage, tables: Tables): void {
    if (this.#host !== host) return
    const problem = checkHostMessage(message)
    if (problem) {
      this.kill(host)
      return this.#current?.hostDied(`broke the wire protocol: it sent ${problem}`)
    }
    if (message.t === 'table') return mirror(tables, message)
    this.#current?.receive(message.t === 'called' ? expandCalled(message) : message)
  }
}

function mirror(tables: Tables, write: HostMessage & { t: 'table' }): void {
  const table = tables.table(write.name)
  if (write.op === 'set') table.set(write.key, write.value)
  else if (write.op === 'delete') table.delete(write.key)
  else table.clear()
}

/**
 * One incarnation of an isolated worker, seen from the branch: the same
 * contract as a {@link Worker} (the hooks, a restore point, dispose), except
 * that `deliver` returns before the message is processed; its snapshots and
 * answers arrive later, then `processed` (most often in the message of its
 * last state, flagged `p`). States arrive in xstate's persisted
 * form, which is what the keeper holds for an isolated branch.
 */
export class IsolatedWorker implements Incarnation {
  readonly ready: Promise<void>
  readonly #runner: IsolatedRunner
  readonly #host: HostLink
  readonly #incarnation: number
  readonly #point: RestorePoint
  readonly #hooks: Required<Omit<WorkerHooks, 'emitted'>>
  readonly #options: IsolatedOptions
  #settleReady: () => void = () => {}
  #alive = true
  #starting = true
  #inTransition = false
  /** The message being processed over there, with its watchdog. */
  #busy: Busy | undefined
  /** Calls whose answers may still come, by ref. */
  readonly #calls = new Map<number, RemoteCall>()
  #nextRef = 0
  #last: Snapshot<unknown> | undefined
  #delays: readonly PendingDelay[] = []

  constructor(runner: IsolatedRunner, host: HostLink, incarnation: number, point: RestorePoint, hooks: Required<Omit<WorkerHooks, 'emitted'>>, options: IsolatedOptions) {
    this.#runner = runner
    this.#host = host
    this.#incarnation = incarnation
    this.#point = point
    this.#hooks = hooks
    this.#options = options
    this.#last = point.kind === 'initial' ? undefined : point.snapshot
    this.ready = new Promise((resolve) => (this.#settleReady = resolve))
  }

  /** No actor in this thread: it runs in the host. */
  get actor(): undefined {
    return undefined
  }

  get deliveryApplied(): boolean {
    return this.#busy?.applied === true
  }

  get remote(): true {
    return true
  }

  get inTransition(): boolean {
    return this.#inTransition
  }

  get output(): unknown {
    return (this.#last as { output?: unknown } | undefined)?.output
  }

  start(): void {
    this.#host.post({ t: 'start', inc: this.#incarnation, point: wirePoint(this.#point), tables: wireTables(this.#options.tables) })
    this.#hold()
  }

  deliver(event: EventObject, call: ReplyChannel | undefined, rest?: readonly EventObject[]): void {
    const ref = call ? ++this.#nextRef : 0
    if (call) this.#calls.set(ref, call as RemoteCall)
    try {
      // A single event crosses alone, not in a list: the common message is one object less on each side.
      this.#host.post(rest ? { t: 'deliver', inc: this.#incarnation, ref, event, rest } : { t: 'deliver', inc: this.#incarnation, ref, event })
    } catch (error) {
      // The branch checks what its callers send; this is what slipped through.
      this.#calls.delete(ref)
      ;(call as RemoteCall | undefined)?.reject(findUncloneable(rest ? [event, ...rest] : event, 'event') ?? error)
      return this.#hooks.processed()
    }
    this.#busy = { ref, eventType: event.type, timer: undefined }
    // The watchdog counts from when the host can process it: not while a new thread or process boots.
    if (!this.#starting) this.#watch(this.#busy)
    this.#hold()
  }

  #watch(busy: Busy): void {
    const { maxProcessingMs } = this.#runner.config
    if (maxProcessingMs !== Infinity) busy.timer = this.#options.clock.setTimeout(() => this.#hung(busy.eventType), maxProcessingMs)
  }

  restorePoint(kept: Snapshot<unknown>): ResumePoint {
    // The host persisted each state with its children as they were then: as the kept state had them.
    return { kind: 'persisted', snapshot: kept, delays: this.#delays }
  }

  hasPendingWork(): boolean {
    return this.#starting || this.#busy !== undefined || this.#delays.length > 0
  }

  dispose(): void {
    if (!this.#alive) return
    this.#alive = false
    const busy = this.#busy !== undefined || this.#starting
    this.#idle()
    // A busy or starting host may be stuck in that very work: end it rather than queue behind it.
    if (busy) this.#runner.kill(this.#host)
    else this.#host.post({ t: 'dispose', inc: this.#incarnation })
    this.#settleReady()
  }

  /** @internal From the runner: a message of this host, checked. */
  receive(message: Exclude<HostMessage, { t: 'table' | 'called' }>): void {
    if (!this.#alive || message.inc !== this.#incarnation) return
    switch (message.t) {
      case 'snapshot':
        this.#snapshot(message)
        // The message's last state, and its end: unless that state ended this incarnation (a crash).
        if (message.p && this.#alive) this.#processed(message.deferred as ReplyToken | undefined)
        return
      case 'answer': {
        const call = this.#calls.get(message.ref)
        this.#calls.delete(message.ref)
        if (message.error) call?.reject(fromWire(message.error))
        else call?.answer(message.value)
        return
      }
      case 'processed':
        return this.#processed(message.deferred as ReplyToken | undefined)
      case 'crash':
        this.#idle()
        return this.#hooks.crash(fromWire(message.error))
      case 'done':
        this.#idle()
        return this.#hooks.done()
    }
  }

  /** @internal From the runner: the host ended on its own (out of memory, aborted, exited). */
  hostDied(how: string, cause?: unknown): void {
    if (!this.#alive) return
    this.#idle()
    this.#hooks.crash(new WorkerExitedError(this.#options.branchId, how, cause))
  }

  #snapshot(message: SnapshotMessage): void {
    const snapshot = this.#stateOf(message)
    if (!snapshot) return
    this.#last = snapshot
    this.#delays = message.delays ?? []
    if (message.d && this.#busy) this.#busy.applied = true
    if (this.#starting) {
      this.#starting = false
      if (this.#busy) this.#watch(this.#busy)
      else this.#hold()
      this.#settleReady()
    }
    // Answers given in that transition are held by the branch until its state is kept, as in this thread.
    if (message.answers) {
      this.#inTransition = true
      try {
        for (const [ref, value] of message.answers) {
          const call = this.#calls.get(ref)
          this.#calls.delete(ref)
          call?.answer(value)
        }
      } finally {
        this.#inTransition = false
      }
    }
    this.#hooks.snapshot(snapshot, message.event)
  }

  /**
   * The state `message` brings: its persisted form (or, absent, the one held: only the context
   * changed) with its context's changes applied to the context held. Undefined when they do not
   * fit what is held: the host is then ended, as the two sides no longer hold the same state.
   */
  #stateOf(message: SnapshotMessage): Snapshot<unknown> | undefined {
    // checkHostMessage let no message without a snapshot through without context changes.
    if (!message.context) return message.snapshot
    try {
      const held = message.snapshot ?? this.#last
      if (!held) throw new Error('no state is held to change')
      const context = applyChanges((this.#last as { context?: unknown } | undefined)?.context, message.context)
      return { ...held, context } as unknown as Snapshot<unknown>
    } catch (error) {
      // Start again from the kept state.
      this.#runner.kill(this.#host)
      this.hostDied(`sent a state change that does not fit the state held for it (${(error as Error).message})`)
      return undefined
    }
  }

  #processed(deferred: ReplyToken | undefined): void {
    const ref = this.#busy?.ref ?? 0
    const call = this.#calls.get(ref)
    if (deferred && call) call.markDeferred(deferred)
    else this.#calls.delete(ref)
    this.#idle()
    this.#hooks.processed()
  }

  #hung(eventType: string): void {
    // A host that already died (an abort) is reported as its exit, which may still be reading its stderr.
    if (!this.#alive || !this.#busy || this.#host.exited()) return
    this.#busy = undefined
    this.#runner.kill(this.#host)
    this.#hooks.crash(new WorkerHungError(this.#options.branchId, eventType, this.#runner.config.maxProcessingMs))
  }

  /** Nothing is being processed over there any more. */
  #idle(): void {
    if (this.#busy?.timer !== undefined) this.#options.clock.clearTimeout(this.#busy.timer)
    this.#busy = undefined
    this.#starting = false
    this.#hold()
  }

  #hold(): void {
    this.#host.hold(this.#alive && (this.#starting || this.#busy !== undefined))
  }
}

function wirePoint(point: RestorePoint): WirePoint {
  // An isolated branch keeps states in persisted form: a live point is one too.
  return point.kind === 'initial' ? point : { kind: 'persisted', snapshot: point.snapshot, delays: point.delays }
}

function wireTables(tables: Tables): WireTables {
  return tables.names().map((name) => [name, [...tables.table(name)]] as const)
}
