import type { AnyActorLogic, EmittedFrom, EventFromLogic, EventObject, InputFrom, SnapshotFrom } from 'xstate'
import type { Clock } from '../shared/clock'
import type { ReplyOfEvent } from '../worker/replyTypes'
import type { ChildStartError, KeepsakeError, ReplayDivergenceError } from '../shared/errors'
import type { DurableOptions } from '../keeper/durable/options'
import type { RestartIntensity } from './intensity'
import type { Isolation, LogicModule, ResourceLimits } from '../worker/isolated/options'
import type { InspectObserver } from '../worker/Worker'

/** A worker's state: a machine's context, a reducer's state. */
export type StateOf<L extends AnyActorLogic> = SnapshotFrom<L> extends { context: infer C } ? C : undefined

/**
 * What a call to logic `L` with event `E` resolves to: the reply `E`'s type
 * declares (`Replies`); else the state after it; `unknown` when the
 * logic's event types are not literals.
 */
export type ReplyFor<L extends AnyActorLogic, E extends EventObject> = ReplyOfEvent<EventFromLogic<L>, E['type'], StateOf<L>>

/**
 * Why a branch or a supervisor stopped:
 * - `normal`: the logic reached a final state (`output` is its output);
 * - `shutdown`: `stop()` was called, or a supervisor stopped on its own: it
 *   shut down automatically, or it gave up (as OTP's supervisor exits with
 *   `shutdown`), in which case `cause` is the {@link RestartIntensityExceeded};
 * - `failure`: a branch gave up, for example on {@link RestartIntensityExceeded}.
 */
export type StopReason =
  | { readonly kind: 'normal'; readonly output: unknown }
  | { readonly kind: 'shutdown'; readonly cause?: KeepsakeError }
  | { readonly kind: 'failure'; readonly error: KeepsakeError }

/** The error a stop carries, if any: a failure's error, or the cause of a supervisor's give-up. */
export function stopError(reason: StopReason): KeepsakeError | undefined {
  if (reason.kind === 'failure') return reason.error
  return reason.kind === 'shutdown' ? reason.cause : undefined
}

/** What is known of a crash. */
export interface CrashReport {
  readonly branchId: string
  /** The incarnation of the worker that died (1 for the first). */
  readonly incarnation: number
  /** What it threw, or the reason given to `kill`. */
  readonly error: unknown
  /** The message being processed when it died, if it died processing one. */
  readonly event: EventObject | undefined
}

/** What is known of a restart. */
export interface RestartReport {
  readonly branchId: string
  /** The new incarnation's number. */
  readonly incarnation: number
  /** Restarts within the current intensity window, this one included. */
  readonly restartsInWindow: number
}

/** Callbacks on a branch's life, like Peeper.Listener: the place for logs and telemetry. */
export interface Listener<S> {
  /**
   * The kept state changed (not called for the initial state): the new state
   * first, as the `state` event and `subscribe` give it. Was `(prev, next)`
   * before 0.2.
   */
  onStateChange?(next: S, prev: S): void
  /** The branch stopped; `state` is its last good state. */
  onTerminate?(reason: StopReason, state: S): void
}

/** The events a branch emits (subscribe with `branch.on`). */
export interface BranchEvents<S> {
  /** The kept state changed: the new state, then the one before. */
  state: (next: S, prev: S) => void
  /** The worker crashed; the report says on what and why. */
  crash: (report: CrashReport) => void
  /** A new worker is up, resumed from the kept state. */
  restart: (report: RestartReport) => void
  /** The branch stopped for good, with the state it kept. */
  stop: (reason: StopReason, state: S) => void
  /** Journal mode: an event is durable, with its sequence number (in order). */
  persisted: (record: { seq: number; event: EventObject }) => void
  /** Journal mode: replaying the last segment gave another state (`verifyReplay`). */
  divergence: (error: ReplayDivergenceError) => void
  /** The branch was idle for `idleTimeout`: its worker stopped; its state is kept. */
  passivate: (report: { branchId: string; incarnation: number }) => void
  /** A message reached a passivated branch: a new worker resumed its state. */
  activate: (report: { branchId: string; incarnation: number }) => void
  /** A listener or event handler threw; the branch carried on. */
  listenerError: (error: unknown) => void
}

/** The names of the branch's own events (`BranchEvents`); any other name given to `branch.on` is an emitted event's type. */
export const BRANCH_EVENTS: ReadonlySet<string> = new Set<keyof BranchEvents<unknown>>([
  'state', 'crash', 'restart', 'stop', 'persisted', 'divergence', 'passivate', 'activate', 'listenerError'
])

/** An event the logic emitted (xstate's `emit`) of type `T` (`'*'`: any of them), as `branch.on(T, handler)` gets it. */
export type EmittedOf<L extends AnyActorLogic, T extends string> = T extends '*' ? EmittedFrom<L> : EmittedFrom<L> & { type: T }

/**
 * `running` (a worker is up), `restarting` (none is, one is coming),
 * `passivated` (idle: none is, the next message brings one back), `stopping`
 * (a graceful stop waits for deferred replies), `stopped`.
 */
export type BranchStatus = 'running' | 'restarting' | 'passivated' | 'stopping' | 'stopped'

/** One part of a branch, as `branch.children()` lists them (OTP's which_children). */
export type BranchPart =
  | { readonly id: 'keeper'; readonly status: 'running' | 'stopped' }
  | {
      readonly id: 'worker'
      readonly status: BranchStatus
      /** The current (or last) incarnation's number. */
      readonly incarnation: number
      /** Restarts since the branch started. */
      readonly restarts: number
    }

/** How a branch is set up, as inspectors show it. */
export interface BranchSetup {
  /** Where its state is made durable, if it is. */
  readonly durable: { readonly mode: 'snapshot' | 'journal'; readonly durability: 'sync' | 'batched' } | undefined
  /** Where its worker runs. */
  readonly isolation: 'none' | 'thread' | 'process'
  /** ms idle before it passivates (Infinity: never). */
  readonly idleTimeout: number
}

/** Options of `startBranch`. */
export interface BranchOptions<L extends AnyActorLogic> {
  /**
   * The worker's xstate logic: a machine, or logic from `fromTransition` and
   * friends; or the module that exports it (`{ module, export }`), which an
   * isolated worker needs. A module's logic types can't be inferred: name them
   * as `startBranch<typeof import('./printer.js').printer>(...)`.
   */
  logic: L | LogicModule
  /** A unique name to reach the branch by; released when it stops. */
  name?: string
  /** The logic's input, used on the first start only (a restart resumes the kept state). */
  input?: InputFrom<L>
  /**
   * Restart intensity: the branch gives up (status `stopped`, reason
   * `RestartIntensityExceeded`) after more than `maxRestarts` restarts within
   * `maxSeconds`; default `{ maxRestarts: 1000, maxSeconds: 10 }` (Peeper's).
   * Named `restart` before 0.2 (a child spec's `restart` is its restart type).
   */
  intensity?: Partial<RestartIntensity>
  /** Callbacks on state changes and termination. */
  listener?: Listener<StateOf<L>>
  /** Time source for call timeouts, delays, the intensity window and the worker's delays. */
  clock?: Clock
  /** Makes the state durable in a store, and brings it back when the branch starts again. */
  durable?: DurableOptions
  /**
   * Deduplicates calls: while a call whose event has a given key is in
   * flight, calls with the same key queue no new work and get its outcome.
   * Return `undefined` for events that must not be deduplicated. A call's
   * `dedupe: false` opts out. Default: only calls with `dedupe: true` are
   * deduplicated, keyed by the SHA-256 of the event's canonical form.
   *
   * @example
   * grouper: (event) => (event.type === 'quote' ? `quote:${event.symbol}` : undefined)
   */
  grouper?: (event: EventFromLogic<L>) => string | undefined
  /**
   * Idle passivation: after this many ms with no message (and nothing
   * pending: no queued or deferred call, no write, no timer or child actor of
   * the worker's own), the worker is stopped and only its state is kept (a
   * durable branch's writes are settled first); status `passivated`, event
   * `passivate`. The next `call`/`cast`/`send` starts one worker from that
   * state and is processed (event `activate`). Default `Infinity`: never.
   */
  idleTimeout?: number
  /**
   * Where the worker runs: `'none'` (default) in this thread; `'thread'` in
   * a worker thread; `'process'` in a child process. Isolated, an endless loop,
   * a heap blow-up or a native crash ends that worker only: the branch
   * restarts it from the kept state. Needs `logic` named by module; messages,
   * states and replies cross by structured clone. Works with `durable`: the
   * keeper and its store stay in this thread (docs/isolation.md). Not with `inspect`; emitted events stay in the worker's
   * thread or process.
   */
  isolation?: Isolation
  /**
   * Isolated only: a message still processing after this many ms (an endless
   * loop, a stuck driver call) gets its worker terminated and restarted from
   * the last good state; its call rejects with `WorkerHungError`. Default: no limit.
   */
  maxProcessingMs?: number
  /**
   * Isolated only: Node's worker `resourceLimits` (`maxOldGenerationSizeMb`,
   * ...). A worker that runs out of memory is a crash of the branch, not of the
   * process. With `'process'`, `maxOldGenerationSizeMb` sets the child's heap.
   */
  resourceLimits?: ResourceLimits
  /**
   * xstate's inspection observer (the Stately inspector's `inspect`, or a
   * function of `InspectionEvent`), given to the actor of every incarnation,
   * so one inspector follows the branch across restarts (each incarnation is
   * a new actor, with its own session id). Not with `isolation`.
   */
  inspect?: InspectObserver
}

/** Options of `call`. */
export interface CallOptions {
  /** ms to wait for the reply (default 5000; `Infinity` waits forever). */
  timeout?: number
  /**
   * Single flight: `true` makes this call share the execution of an identical
   * call in flight on the branch (same event data, whatever its key order;
   * or the same key from the branch's `grouper`) instead of queueing its own.
   * Each caller keeps its own timeout. If that execution crashes the worker,
   * the callers who joined it reject with `LeaderDiedError`. `false` opts out
   * of the branch's `grouper`. Not for `callAll`.
   */
  dedupe?: boolean
  /**
   * Lets a worker's call re-enter a branch still processing the message that
   * led to it (its own, or one earlier in the chain of calls). Without it,
   * such a call rejects at once with `CallRecursionError`. Default false.
   */
  reentrant?: boolean
  /**
   * Cancels the call: when it aborts, the call rejects with `signal.reason`
   * (DOM's convention, as `fetch` and xstate's `waitFor`: an `AbortError`
   * `DOMException` unless `abort(reason)` gave one; `AbortSignal.timeout(ms)`
   * gives a `TimeoutError`). A message still queued is taken out and never
   * delivered; one already delivered is processed, its answer dropped. An
   * already aborted signal rejects at once and queues nothing.
   */
  signal?: AbortSignal
}

/** Options of `cast` and `send`. */
export interface CastOptions {
  /** ms to wait before the message is queued (default 0). */
  delay?: number
}

/** The events a supervisor emits. */
export interface SupervisorEvents {
  /** It stopped, for whatever reason. */
  stop: (reason: StopReason) => void
  /** It stopped on its own: it gave up (restart intensity) or shut down automatically. */
  shutdown: (reason: StopReason) => void
  /** A child exited while the supervisor ran (it gave up, finished, or was stopped from outside); a restart, if its type calls for one, follows. */
  childExit: (report: { supervisorId: string; childId: string; reason: StopReason }) => void
  /** A child was restarted; `restarts` counts its restarts so far. */
  restart: (report: { supervisorId: string; childId: string; restarts: number }) => void
  /** Restarting a child failed (its start threw); it is tried again. */
  restartFailed: (report: { supervisorId: string; childId: string; error: ChildStartError }) => void
  /** A child did not stop within its `shutdown` time and was cut off. */
  cutOff: (report: { supervisorId: string; childId: string }) => void
  /** A handler of these events threw; the supervisor carried on. */
  listenerError: (error: unknown) => void
}
