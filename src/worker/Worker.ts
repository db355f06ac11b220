import {
  createActor,
  type AnyActorLogic,
  type AnyActorRef,
  type EventObject,
  type InspectionEvent,
  type Observer,
  type Snapshot
} from 'xstate'
import type { Clock } from '../shared/clock'
import { restorePointFor, type RestorePoint, type ResumePoint } from './restorePoint'
import { capturePendingDelays, reschedule } from './delays'
import type { ReplyChannel } from './reply'
import { bindTables, unbindTables, type TableProvider } from './tables'

/** What a worker reports to whoever supervises it. */
export interface WorkerHooks {
  /**
   * An event was processed without error; `snapshot` is the state it left.
   * `event` is what the actor processed (a message, or an event it made
   * itself: a child's output, a timer); undefined for the initial state.
   */
  snapshot(snapshot: Snapshot<unknown>, event: EventObject | undefined): void
  /** The actor failed: something threw while processing, or it entered xstate's error status. */
  crash(error: unknown): void
  /** The logic reached a final state: the worker exited normally. */
  done(): void
  /** The logic emitted `event` (xstate's `emit`); in-thread workers only. */
  emitted?(event: EventObject): void
  /**
   * Required by an incarnation whose `remote` is true, which calls it when the
   * message last delivered was processed (its snapshots and answers came
   * before this); a worker in this thread never does.
   */
  processed?(): void
}

/**
 * One incarnation of a branch's worker, as the branch sees it: the actor in
 * this thread ({@link Worker}), or a proxy to one running in a worker thread
 * or a child process (`isolated/IsolatedWorker`). Both report through
 * {@link WorkerHooks}, so the branch's restart, keeper, mailbox and held-answer
 * logic is one code path.
 */
export interface Incarnation {
  /** The xstate actor, when it runs in this thread. */
  readonly actor: AnyActorRef | undefined
  /** False: `deliver` processes the event before it returns. True: its outcome comes later, through the hooks, ending with `processed`. */
  readonly remote: boolean
  /** See {@link Worker.inTransition}. */
  readonly inTransition: boolean
  /** For a remote incarnation: settles once its first state arrived, or it died first. */
  readonly ready: Promise<void> | undefined
  /** For a remote incarnation: a state it reported already holds the message it is processing (whose end has not come yet). */
  readonly deliveryApplied: boolean
  /** The logic's output, once it reached a final state. */
  readonly output: unknown
  start(): void
  /** In-thread only: passes what the logic emits to `hooks.emitted` from now on (once someone listens). */
  forwardEmitted?(): void
  /** Hands one message to the actor (`rest`: more events applied with it, all or none; remote only). */
  deliver(event: EventObject, call?: ReplyChannel, rest?: readonly EventObject[]): void
  /** Where the next incarnation resumes `kept` from, read while this one still stands. */
  restorePoint(kept: Snapshot<unknown>): ResumePoint
  /** True while the worker has work of its own under way (pending delayed events; a remote one also while it starts or processes). */
  hasPendingWork(): boolean
  dispose(): void
}

/** A worker's record of its children, for restore points (see `ChildHistory`). */
interface ChildRecords {
  /** Children whose outcome (their done or error event) a kept state has processed. */
  readonly seen: WeakSet<AnyActorRef>
  /** Each child's state when first seen. */
  readonly firstStates: WeakMap<AnyActorRef, Snapshot<unknown>>
}

/** The events by which xstate tells a machine that its child `<id>` finished or failed. */
const OUTCOME_PREFIXES = ['xstate.done.actor.', 'xstate.error.actor.'] as const

export interface WorkerOptions {
  readonly clock: Clock
  readonly tables: TableProvider
  /** xstate's inspection observer, given to every incarnation's actor. */
  readonly inspect?: InspectObserver | undefined
}

/** What xstate's `createActor` takes as `inspect`. */
export type InspectObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void)

/**
 * One incarnation of a branch's worker: an xstate actor, watched. It knows
 * nothing of restarts; it reports what happens to it through its hooks, and is
 * disposed of when it dies.
 */
export class Worker implements Incarnation, Observer<Snapshot<unknown>> {
  /** The xstate actor running the user's logic. */
  readonly actor: AnyActorRef
  readonly #logic: AnyActorLogic
  readonly #point: RestorePoint
  readonly #hooks: WorkerHooks
  /** What a restore point needs of the children seen; made on the first child (most workers have none). */
  #history: ChildRecords | undefined
  /** The children object last looked through. */
  #knownChildren: object | undefined
  #transitionDepth = 0
  #lastEvent: EventObject | undefined
  #alive = true

  constructor(logic: AnyActorLogic, point: RestorePoint, hooks: WorkerHooks, options: WorkerOptions) {
    this.#point = point
    this.#logic = logic
    this.actor = createActor(this.#instrument(logic, point), actorOptions(options, point))
    bindTables(this.actor.system, options.tables)
    if (point.kind !== 'initial') this.#seeRestoredOutcomes(point)
    this.#hooks = hooks
    observe(this.actor, this)
  }

  /** The actor's observer: a state was made. */
  next(snapshot: Snapshot<unknown>): void {
    if (!this.#alive) return
    this.#noteChildren(snapshot)
    this.#hooks.snapshot(snapshot, this.#lastEvent)
  }

  /**
   * The actor's observer: it failed. A getter, made only when xstate reports
   * an error: xstate calls `error` detached from its observer (`next` and
   * `complete` it calls as methods).
   */
  get error(): (error: unknown) => void {
    return (error) => {
      if (this.#alive) this.#hooks.crash(error)
    }
  }

  /** The actor's observer: it stopped, or reached a final state. */
  complete(): void {
    if (this.#alive && this.actor.getSnapshot().status === 'done') this.#hooks.done()
  }

  /**
   * True while the logic computes a transition. Answers given then wait for
   * that transition's outcome: they are released when its state is kept, and
   * dropped if it throws.
   */
  get inTransition(): boolean {
    return this.#transitionDepth > 0
  }

  /** Always false: the actor runs in this thread, and `deliver` processes the event before it returns. */
  get remote(): false {
    return false
  }

  /** Nothing to wait for: the first state is there once `start` returns. */
  get deliveryApplied(): false {
    return false
  }

  get ready(): undefined {
    return undefined
  }

  /** The logic's output, once it reached a final state. */
  get output(): unknown {
    return (this.actor.getSnapshot() as { output?: unknown }).output
  }

  /**
   * Passes what the logic emits to `hooks.emitted` from now on. Called only
   * once someone listens (a listener costs each actor a map and a set), and
   * at most once per incarnation: when it starts, or when the first listener comes.
   */
  forwardEmitted(): void {
    const hooks = this.#hooks
    if (!hooks.emitted) return
    this.actor.on('*', (event: EventObject) => {
      if (this.#alive) hooks.emitted?.(event)
    })
  }

  /** Where the next incarnation resumes `kept` from (see `restorePointFor`). */
  restorePoint(kept: Snapshot<unknown>): ResumePoint {
    return restorePointFor(this.#logic, kept, this.actor, {
      seen: (child) => this.#records().seen.has(child),
      firstState: (child) => this.#records().firstStates.get(child)
    })
  }

  #records(): ChildRecords {
    return (this.#history ??= { seen: new WeakSet(), firstStates: new WeakMap() })
  }

  /** True while delayed events (`after`, delayed `raise`/`sendTo`) are pending in the actor's system. */
  hasPendingWork(): boolean {
    return capturePendingDelays(this.actor).length > 0
  }

  /** Starts the actor; a failing start is reported through `hooks.crash`. */
  start(): void {
    this.actor.start()
    const point = this.#point
    if (point.kind === 'initial' || !this.#alive) return
    reschedule(this.actor, point.delays)
    // A child that finished unseen delivers its output now (xstate starts only active children).
    for (const id of point.outcomes ?? []) if (this.#alive) this.#children()[id]?.start()
  }

  #children(): Record<string, AnyActorRef> {
    return (this.actor.getSnapshot() as { children?: Record<string, AnyActorRef> }).children ?? {}
  }

  /**
   * Notes what a restore point needs of the children of a state about to be
   * kept: each new child's first state, and whether this state processed a
   * child's outcome (done or error). xstate keeps the children object while
   * no child comes or goes, so looking through it costs nothing otherwise.
   */
  #noteChildren(snapshot: Snapshot<unknown>): void {
    // This runs for every state: what it rarely has to do is out of line, so it stays small enough to inline.
    const children = (snapshot as { children?: Record<string, AnyActorRef> }).children
    if (!children) return
    if (children !== this.#knownChildren) this.#noteFirstStates(children)
    const type = this.#lastEvent?.type
    if (type !== undefined && type.startsWith('xstate.')) this.#noteOutcome(type, children)
  }

  /** A new children object: the first state of each child not seen before. */
  #noteFirstStates(children: Record<string, AnyActorRef>): void {
    this.#knownChildren = children
    for (const child of Object.values(children)) {
      const { firstStates } = this.#records()
      if (!firstStates.has(child)) firstStates.set(child, child.getSnapshot())
    }
  }

  /** An event of xstate's own (`type`): if it is a child's outcome, that child was seen to finish or fail. */
  #noteOutcome(type: string, children: Record<string, AnyActorRef>): void {
    const prefix = OUTCOME_PREFIXES.find((p) => type.startsWith(p))
    const child = prefix && children[type.slice(prefix.length)]
    if (child) this.#records().seen.add(child)
  }

  /** Children restored done or failed were seen so (a restore point brings back unseen ones running), but for the outcomes still to deliver. */
  #seeRestoredOutcomes(point: ResumePoint): void {
    for (const [id, child] of Object.entries(this.#children())) {
      if (child.getSnapshot().status !== 'active' && !point.outcomes?.includes(id)) this.#records().seen.add(child)
    }
  }

  /** Hands one event to the actor, which processes it synchronously. */
  deliver(event: EventObject): void {
    this.actor.send(event)
  }

  /** Stops the actor and everything it started; it reports nothing more. */
  dispose(): void {
    if (!this.#alive) return
    this.#alive = false
    // Stopping an actor from inside its own transition (a worker that kills or
    // stops its own branch) would run xstate's stop in the middle of that
    // transition; let the transition finish first. Its result reaches no one.
    if (this.inTransition) queueMicrotask(() => this.#stop())
    else this.#stop()
  }

  #stop(): void {
    this.#stopTree()
    unbindTables(this.actor.system)
  }

  #stopTree(): void {
    const snapshot = this.actor.getSnapshot() as Snapshot<unknown> & {
      children?: Record<string, unknown>
    }
    if (snapshot.status === 'active') {
      this.actor.stop()
      return
    }
    // xstate stops a machine's children when the machine processes its stop
    // event; an actor that errored or finished never does (statelyai/xstate#5153),
    // so its invoked and spawned actors would keep running. Stop them here.
    for (const child of Object.values(snapshot.children ?? {})) {
      ;(child as { _stop?: () => void })._stop?.()
    }
  }

  // A per-incarnation view of the logic: the same logic, with its transitions
  // counted (see inTransition) and, for a live restore point, no revival pass.
  // The counting is on a prototype shared by every worker of the logic (see
  // views), so an incarnation adds one small object, not a closure.
  #instrument(logic: AnyActorLogic, point: RestorePoint): AnyActorLogic {
    let shared = views.get(logic)
    if (!shared) {
      const transition: PropertyDescriptor = {
        // The three parameters by name, not spread: this runs for every message.
        value(this: { readonly [WORKER]: Worker }, snapshot: Snapshot<unknown>, event: EventObject, scope: TransitionScope) {
          return this[WORKER].#transition(logic, snapshot, event, scope)
        }
      }
      const counted = Object.create(logic, { transition }) as AnyActorLogic
      shared = { counted, live: Object.create(counted, { restoreSnapshot: { value: undefined } }) as AnyActorLogic }
      views.set(logic, shared)
    }
    return Object.create(point.kind === 'live' ? shared.live : shared.counted, { [WORKER]: { value: this } }) as AnyActorLogic
  }

  #transition(logic: AnyActorLogic, snapshot: Snapshot<unknown>, event: EventObject, scope: TransitionScope): Snapshot<unknown> {
    this.#transitionDepth++
    this.#lastEvent = event
    try {
      return logic.transition(snapshot, event, scope)
    } finally {
      this.#transitionDepth--
    }
  }
}

type TransitionScope = Parameters<AnyActorLogic['transition']>[2]

/**
 * Makes `worker` the observer of `actor`, for the actor's whole life: xstate drops its observers
 * itself once the actor stops, completes or fails, and an actor with no error observer would
 * have xstate rethrow a throw while processing its stop event out of band (dispose() mutes the
 * worker instead). The worker goes into the actor's set of observers itself: `subscribe` would
 * wrap it in an object of three bound functions, and return an unsubscribe closure, per worker
 * (~200 B of an active branch's heap). xstate's set is private in its types but the same in
 * every 5.x from the floor up (test/worker/observe-actor.test.ts runs against both); should it
 * ever not be a set, `subscribe` does the same, at that cost.
 */
function observe(actor: AnyActorRef, worker: Observer<Snapshot<unknown>>): void {
  const observers = (actor as unknown as { observers?: unknown }).observers
  if (observers instanceof Set) observers.add(worker)
  else actor.subscribe(worker)
}

/** Where a view of the logic (see Worker.#instrument) keeps its worker. */
const WORKER = Symbol('keepsake.worker')

/** Per logic, the prototypes of its workers' views: transitions counted, and the same without a revival pass. */
const views = new WeakMap<AnyActorLogic, { readonly counted: AnyActorLogic; readonly live: AnyActorLogic }>()

/**
 * The options of a worker's actor. xstate copies them into a spread of its
 * defaults, and every key it has no default for gives that copy a hidden
 * class of its own (~200 B an actor, once a GC has run): only the keys that
 * carry a value are given.
 */
function actorOptions({ clock, inspect }: WorkerOptions, point: RestorePoint): { clock: Clock; inspect?: InspectObserver; input?: unknown; snapshot?: Snapshot<unknown> } {
  const options: ReturnType<typeof actorOptions> = { clock }
  if (inspect !== undefined) options.inspect = inspect
  if (point.kind !== 'initial') options.snapshot = point.snapshot
  else if (point.input !== undefined) options.input = point.input
  return options
}
