/**
 * The entry of a worker thread or child process that runs one branch's
 * isolated worker. The branch (keeper, mailbox, restarts) stays in the
 * parent; this side only runs incarnations of the logic, each a plain
 * {@link Worker}, and reports what they do over the wire (protocol.ts). A
 * crash that leaves this thread or process healthy ends the incarnation only;
 * the next one starts here again.
 */
import { Socket, type SocketConstructorOpts } from 'node:net'
import { parentPort } from 'node:worker_threads'
import type { AnyActorLogic, EventObject, Snapshot } from 'xstate'
import { systemClock } from '../../shared/clock'
import { capturePendingDelays } from '../delays'
import { deliverAs, releaseToken, type ReplyChannel, type ReplyToken } from '../reply'
import type { TableProvider } from '../tables'
import { Worker } from '../Worker'
import { StateChanges, type Change } from '../../shared/changes'
import { CHANNEL_ARG, CHANNEL_FD, frameReading, writeFrame } from './channel'
import { findUncloneable } from './cloneable'
import { UncloneableError } from './errors'
import { loadLogic } from './loadLogic'
import { calledForm, toWire, type EventReport, type HostMessage, type ParentMessage, type SnapshotMessage, type WirePoint, type WireTables } from './protocol'

interface Link {
  post(message: HostMessage): void
}

/** The link to the parent; what arrives goes to `receive`, in order. */
function openLink(receive: (message: ParentMessage) => void): Link {
  const port = parentPort
  if (port) {
    port.on('message', receive)
    return { post: (m) => port.postMessage(m) }
  }
  if (!process.argv.includes(CHANNEL_ARG)) throw new Error('keepsake: the isolated host must run in a worker thread or a child process started by keepsake')
  const onread = frameReading({
    message: (m) => receive(m as ParentMessage),
    broken: (why) => {
      process.stderr.write(`keepsake: an isolated host's channel from its parent broke: it received ${why}\n`)
      process.exit(70)
    }
  })
  // `onread` is read by Node 20's constructor as by later ones' (whose docs list it); this @types/node lists it for connect() only.
  const options: SocketConstructorOpts & { onread: typeof onread } = { fd: CHANNEL_FD, readable: true, writable: true, onread }
  const channel = new Socket(options)
  // The parent is gone, or its frames can't be read: nothing can reach this worker any more.
  channel.on('close', () => process.exit(0))
  channel.on('error', () => process.exit(0))
  return { post: (m) => writeFrame(channel, m) }
}

let logic: AnyActorLogic | undefined
let loadError: Error | undefined
/** What each snapshot reports of its event (a durable branch's keeper needs it). */
let eventReport: EventReport | undefined
/** Messages that arrived while the logic module was loading. */
let backlog: Exclude<ParentMessage, { t: 'load' }>[] | undefined = []
let session: Session | undefined

// `load` comes first; what follows waits in the backlog until the logic is loaded.
const link = openLink((message) => {
  if (message.t === 'load') {
    eventReport = message.events
    void load(message.url, message.export)
  }
  else if (backlog) backlog.push(message)
  else handle(message)
})

function handle(message: Exclude<ParentMessage, { t: 'load' }>): void {
  switch (message.t) {
    case 'start':
      session?.end()
      if (loadError) return link.post({ t: 'crash', inc: message.inc, error: toWire(loadError) })
      session = new Session(logic as AnyActorLogic, message.inc, message.point, message.tables)
      return session.start()
    case 'deliver':
      if (session?.inc === message.inc) session.deliver(message.ref, message.event, message.rest)
      return
    case 'dispose':
      if (session?.inc === message.inc) session.end()
  }
}

async function load(url: string, exportName: string): Promise<void> {
  try {
    logic = await loadLogic({ url, export: exportName })
  } catch (error) {
    loadError = error as Error
  }
  const queued = backlog ?? []
  backlog = undefined
  for (const message of queued) handle(message)
}

/** A state as the host handles it: a context, when its logic has one. */
type WithContext = Snapshot<unknown> & { context?: unknown }

/** One incarnation running here. */
class Session {
  readonly inc: number
  readonly #worker: Worker
  /** The states sent, as changes: only what changed since the context sent last crosses. */
  readonly #changes: StateChanges
  /** Replies given inside the running transition: they go with its snapshot. */
  #answers: [number, unknown][] | undefined

  /** True while a delivered message is processed: its states are marked so (the parent knows they hold it). */
  #delivering = false
  /**
   * During a delivery, its latest state, not sent yet: it goes before anything else this side sends
   * (another state, a table write, an answer, a crash), or at the delivery's end with `processed`
   * in it, so most calls cost one message back.
   */
  #pending: PendingState | undefined

  constructor(logic: AnyActorLogic, inc: number, point: WirePoint, tables: WireTables) {
    this.inc = inc
    this.#changes = new StateChanges(logic)
    // The parent holds the point's state: an unchanged context stays the object it holds (no change event).
    // From the initial state the parent holds none: the first state's context crosses whole.
    if (point.kind === 'persisted') this.#changes.from((point.snapshot as WithContext).context)
    this.#worker = new Worker(
      logic,
      point,
      { snapshot: (s, e) => this.#snapshot(s, e), crash: (e) => this.#crash(e), done: () => this.#post({ t: 'done', inc }) },
      { clock: systemClock, tables: new MirroredTables(tables) }
    )
  }

  get live(): boolean {
    return session === this
  }

  start(): void {
    this.#worker.start()
  }

  deliver(ref: number, event: EventObject, rest: readonly EventObject[] | undefined): void {
    const channel = ref === 0 ? undefined : new HostChannel(this, ref)
    this.#delivering = true
    try {
      deliverAs(channel, this.#worker, event)
      if (!this.live) return // it crashed: the crash was reported
      for (const next of rest ?? []) {
        deliverAs(channel, this.#worker, next)
        if (!this.live) return
      }
    } finally {
      this.#delivering = false
    }
    const token = channel?.token
    const last = this.#pending
    this.#pending = undefined
    if (!last) return this.#post(token ? { t: 'processed', inc: this.inc, deferred: token } : { t: 'processed', inc: this.inc })
    // The message is this side's own, not sent yet: it says it ends the delivery.
    last.message.p = true
    if (token) last.message.deferred = token
    this.#send(last)
  }

  /** A reply to the call `ref`: with the running transition's snapshot, or at once outside one. */
  answer(ref: number, value: unknown): void {
    if (this.#worker.inTransition) return void (this.#answers ??= []).push([ref, value])
    this.flush()
    if (!this.live) return
    try {
      link.post({ t: 'answer', inc: this.inc, ref, value })
    } catch (error) {
      link.post({ t: 'answer', inc: this.inc, ref, error: toWire(findUncloneable(value, 'reply') ?? error) })
    }
  }

  /** Ends the incarnation (the parent disposed of it, or it crashed). */
  end(): void {
    if (session === this) session = undefined
    this.#worker.dispose()
  }

  #snapshot(snapshot: Snapshot<unknown>, processed: EventObject | undefined): void {
    if (!this.live) return
    let persisted: Snapshot<unknown>
    let context: Change[] | undefined
    let same: boolean
    try {
      ;({ persisted, context, same } = this.#changes.take(snapshot))
    } catch (error) {
      // Too deep to compare (or to read): too deep to cross too.
      return this.#crash(findUncloneable((snapshot as WithContext).context, 'state') ?? new UncloneableError('state', `not copyable (${String(error)})`))
    }
    const answers = this.#answers
    this.#answers = undefined
    const delays = capturePendingDelays(this.#worker.actor)
    const event = processed && eventReport && (eventReport === 'event' ? processed : { type: processed.type })
    // Set one by one, not spread: this runs for every state, and an absent part does not cross at all.
    const message: OutgoingState = { t: 'snapshot', inc: this.inc }
    // Only the context changed: the parent keeps the rest of the state it holds.
    if (!same) message.snapshot = persisted
    if (context) message.context = context
    if (answers) message.answers = answers
    if (delays.length > 0) message.delays = delays
    if (event) message.event = event
    if (this.#delivering) message.d = true
    const state: PendingState = { message, context, answers, delays, event }
    this.flush()
    if (this.#delivering) this.#pending = state
    else this.#send(state)
  }

  /** Sends the delivery's state held back, if any (see #pending): before anything else crosses. */
  flush(): void {
    const state = this.#pending
    this.#pending = undefined
    if (state) this.#send(state)
  }

  #send({ message, context, answers, delays, event }: PendingState): void {
    if (!this.live) return
    try {
      // A call's common end crosses flat (see calledForm).
      link.post(calledForm(message) ?? message)
    } catch (error) {
      // The state (or a reply) can't cross: this transition is a crash, and the
      // parent restarts from the last state that could.
      const found = uncloneableChange(context) ?? findUncloneable(answers, 'reply') ?? findUncloneable(delays, 'delayed events') ?? findUncloneable(event, 'event')
      this.#crash(found ?? new UncloneableError('state', `not copyable (${String(error)})`))
    }
  }

  #crash(error: unknown): void {
    if (!this.live) return
    this.#post({ t: 'crash', inc: this.inc, error: toWire(error) })
    session = undefined
    // It may be inside xstate's own notification loop: stop it once that is done.
    queueMicrotask(() => this.#worker.dispose())
  }

  #post(message: HostMessage): void {
    this.flush()
    if (this.live) link.post(message)
  }
}

/** A state message while this side makes it (its parts are set as they are known). */
type OutgoingState = { -readonly [K in keyof SnapshotMessage]: SnapshotMessage[K] }

/** A state to send, with what it was made of (to name what can't cross, if it can't). */
interface PendingState {
  readonly message: OutgoingState
  readonly context: readonly Change[] | undefined
  readonly answers: readonly (readonly [number, unknown])[] | undefined
  readonly delays: readonly unknown[]
  readonly event: EventObject | undefined
}

/** The first value a list of context changes sets that can't cross, named from the state's root. */
function uncloneableChange(changes: readonly Change[] | undefined): UncloneableError | undefined {
  for (const change of changes ?? []) {
    if (change[0] !== 's') continue
    const found = findUncloneable(change[2], `state${change[1].map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('')}`)
    if (found) return found
  }
  return undefined
}

/** The host's side of a call: answers go to the parent by the call's ref. */
class HostChannel implements ReplyChannel {
  readonly #session: Session
  readonly #ref: number
  #answered = false
  token: ReplyToken | undefined

  constructor(session: Session, ref: number) {
    this.#session = session
    this.#ref = ref
  }

  answer(value: unknown): boolean {
    if (this.#answered || !this.#session.live) return false
    this.#answered = true
    if (this.token) releaseToken(this.token)
    this.#session.answer(this.#ref, value)
    return true
  }

  markDeferred(token: ReplyToken): ReplyToken | undefined {
    // An answered call has nothing to wait for: a token taken now would never be released.
    if (!this.#answered) this.token ??= token
    return this.token
  }
}

/** The branch's tables as this side sees them: every write is mirrored to the keeper in the parent, which outlives this host. */
class MirroredTables implements TableProvider {
  readonly #tables = new Map<string, MirroredMap>()

  constructor(initial: WireTables) {
    for (const [name, entries] of initial) this.#tables.set(name, new MirroredMap(name, entries))
  }

  table(name: string): Map<unknown, unknown> {
    let found = this.#tables.get(name)
    if (!found) this.#tables.set(name, (found = new MirroredMap(name, [])))
    return found
  }
}

class MirroredMap extends Map<unknown, unknown> {
  readonly #name: string

  constructor(name: string, entries: readonly (readonly [unknown, unknown])[]) {
    super()
    this.#name = name
    for (const [key, value] of entries) super.set(key, value)
  }

  override set(key: unknown, value: unknown): this {
    const name = this.#name
    session?.flush()
    try {
      link.post({ t: 'table', name, op: 'set', key, value })
    } catch (error) {
      throw findUncloneable(key, `table(${JSON.stringify(name)}) key`) ?? findUncloneable(value, `table(${JSON.stringify(name)}).get(${String(key)})`) ?? error
    }
    return super.set(key, value)
  }

  override delete(key: unknown): boolean {
    const had = super.delete(key)
    session?.flush()
    if (had) link.post({ t: 'table', name: this.#name, op: 'delete', key })
    return had
  }

  override clear(): void {
    super.clear()
    session?.flush()
    link.post({ t: 'table', name: this.#name, op: 'clear' })
  }
}
