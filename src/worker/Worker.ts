import {
  createActor,
  type AnyActorLogic,
  type AnyActorRef,
  type EventObject,
  type Snapshot,
  type Subscription
} from 'xstate'
import type { Clock } from '../shared/clock'
import type { RestorePoint } from './restorePoint'
import { reschedule } from './delays'
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
}

export interface WorkerOptions {
  readonly clock: Clock
  readonly tables: TableProvider
}

/**
 * One incarnation of a branch's worker: an xstate actor, watched. It knows
 * nothing of restarts; it reports what happens to it through its hooks, and is
 * disposed of when it dies.
 */
export class Worker {
  /** The xstate actor running the user's logic. */
  readonly actor: AnyActorRef
  readonly #subscription: Subscription
  readonly #point: RestorePoint
  #transitionDepth = 0
  #lastEvent: EventObject | undefined
  #alive = true

  constructor(logic: AnyActorLogic, point: RestorePoint, hooks: WorkerHooks, options: WorkerOptions) {
    this.#point = point
    this.actor = createActor(this.#instrument(logic, point), {
      clock: options.clock,
      ...(point.kind === 'initial' ? { input: point.input } : { snapshot: point.snapshot })
    })
    bindTables(this.actor.system, options.tables)
    // The subscription outlives dispose(), muted: an actor with no error
    // observer has xstate rethrow its errors out of band, and a logic may still
    // throw while processing its stop event.
    this.#subscription = this.actor.subscribe({
      next: (snapshot) => {
        if (this.#alive) hooks.snapshot(snapshot, this.#lastEvent)
      },
      error: (error) => {
        if (this.#alive) hooks.crash(error)
      },
      complete: () => {
        if (this.#alive && this.actor.getSnapshot().status === 'done') hooks.done()
      }
    })
  }

  /**
   * True while the logic computes a transition. Answers given then wait for
   * that transition's outcome: they are released when its state is kept, and
   * dropped if it throws.
   */
  get inTransition(): boolean {
    return this.#transitionDepth > 0
  }

  /** Starts the actor; a failing start is reported through `hooks.crash`. */
  start(): void {
    this.actor.start()
    if (this.#point.kind !== 'initial' && this.#alive) reschedule(this.actor, this.#point.delays)
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
    this.#subscription.unsubscribe()
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
  #instrument(logic: AnyActorLogic, point: RestorePoint): AnyActorLogic {
    const worker = this
    const own: PropertyDescriptorMap = {
      transition: {
        value(...args: Parameters<AnyActorLogic['transition']>) {
          worker.#transitionDepth++
          worker.#lastEvent = args[1] as EventObject
          try {
            return logic.transition(...args)
          } finally {
            worker.#transitionDepth--
          }
        }
      }
    }
    if (point.kind === 'live') own.restoreSnapshot = { value: undefined }
    return Object.create(logic, own) as AnyActorLogic
  }
}
