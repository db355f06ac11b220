import type { ActorRefFrom, AnyActorLogic, EventFromLogic, EventObject, Snapshot, SnapshotFrom } from 'xstate'
import {
  BranchStartError,
  BranchStoppedError,
  InvalidOptionError,
  RestartIntensityExceeded,
  WorkerCrashedError
} from '../shared/errors'
import { assertEvent, isInstance, readDuration, readList, readOptions } from '../shared/validate'
import { Durability } from '../keeper/durable/Durability'
import type { ActivationMark } from '../keeper/durable/journal'
import { Keeper, stateOf } from '../keeper/Keeper'
import type { Tables } from '../keeper/Tables'
import type { RestorePoint, ResumePoint } from '../worker/restorePoint'
import { Worker, type Incarnation, type WorkerHooks } from '../worker/Worker'
import { assertCloneable } from '../worker/isolated/cloneable'
import { WorkerHungError } from '../worker/isolated/errors'
import { loadLogic } from '../worker/isolated/loadLogic'
import { readBranchOptions, type BranchConfig } from './branchOptions'
import { Call } from './Call'
import { CallGroups, groupKeyOf } from './dedupe'
import { IdleTimer, type IdleHost } from './passivation'
import { chainFor, delivery } from './recursion'
import { Commits } from './Commits'
import { Courier } from './Courier'
import { Announcer } from './Announcer'
import { stoppedError } from './stopped'
import { seedPoint } from './seed'
import { intensityUse, recordRestart, type IntensityUse } from './intensity'
import { NameRegistry } from './registry'
import { abortable, readSignal } from '../shared/abort'
import { asyncDispose, stopOnDispose } from '../shared/dispose'
import { counters, isBranded, processWide } from '../shared/processWide'
import { live } from './probe'
import {
  type BranchPart,
  type BranchSetup,
  type BranchStatus,
  type CallOptions,
  type CastOptions,
  type ReplyFor,
  type StateOf,
  type StopReason
} from './types'
import { immediate, warn } from '../shared/platform'

/** The default time a call waits for its reply, in ms. */
export const DEFAULT_CALL_TIMEOUT = 5000

/** The default time a graceful stop gives deferred replies to arrive, in ms (OTP's worker default). */
export const DEFAULT_SHUTDOWN_TIMEOUT = 5000

/** Names of the live branches of this process (one registry, however many copies of keepsake it loaded). */
export const branchNames = processWide('branchNames.v1', () => new NameRegistry<AnyBranch>())

/** Marks branches, in every copy of keepsake loaded in the process. */
const BRANCH_BRAND = Symbol.for('keepsake.branch')

/** The restart window of a branch that never restarted, shared (recordRestart copies it). */
const NO_RESTARTS: readonly number[] = Object.freeze([])

/** The reason of a `kill()` given none: made once, as a stack trace costs more than the restart. */
const KILLED = new Error('killed by branch.kill()')

/** Where a branch without input starts (one for all: a worker holds its restore point). */
const FRESH: RestorePoint = Object.freeze({ kind: 'initial', input: undefined })

/** A branch of any logic, as a name lookup returns it. */
export type AnyBranch = Branch<AnyActorLogic>

/** What a branch's worker reports to it, tagged with the worker's incarnation (made in Branch's static block). */
let Reports: new (branch: AnyBranch, incarnation: number) => Required<WorkerHooks>

/**
 * A worker, its keeper and the supervisor that restarts the worker from the
 * keeper when it crashes. Every message goes through the branch's mailbox and
 * reaches whichever incarnation is current, so callers never hold a dead
 * reference. Start one with `startBranch`.
 *
 * The supervising part is this class: it keeps the restart bookkeeping (the
 * intensity window), the mailbox and the pending calls, and decides what a
 * worker's crash, exit or kill means for them. Its listeners and subscribers
 * are kept by the `Announcer` it extends.
 */
export class Branch<L extends AnyActorLogic = AnyActorLogic> extends Announcer<L> implements IdleHost {
  /** The branch's name, or a generated id when it has none. */
  readonly id: string
  /** The name it was registered under, if any. */
  readonly name: string | undefined

  /** Stops it (`stop()` with its defaults), so `await using x = await ...` stops it at the end of the block. */
  declare [asyncDispose]: () => Promise<void>

  static {
    Object.defineProperty(this.prototype, BRANCH_BRAND, { value: true })
    stopOnDispose(this.prototype)
    // One object per incarnation, not a closure per hook (pools hold many branches); declared
    // inside the class to reach its private handlers.
    Reports = class implements Required<WorkerHooks> {
      constructor(readonly branch: AnyBranch, readonly incarnation: number) {}
      snapshot(snapshot: Snapshot<unknown>, event: EventObject | undefined): void {
        this.branch.#onSnapshot(this.incarnation, snapshot, event)
      }
      crash(error: unknown): void {
        this.branch.#onCrash(this.incarnation, error)
      }
      done(): void {
        this.branch.#onDone(this.incarnation)
      }
      emitted(event: EventObject): void {
        this.branch.#onEmitted(this.incarnation, event)
      }
      processed(): void {
        this.branch.#onProcessed(this.incarnation)
      }
    }
  }

  /**
   * @internal True for a branch of this copy of keepsake: a private-field check, which no proxy
   * trap or getter can run, and which costs less than `instanceof` through `Symbol.hasInstance`
   * on every message (use `instanceof` for a branch of any copy).
   */
  static _isOwn(value: unknown): value is AnyBranch {
    return typeof value === 'object' && value !== null && #config in value
  }

  /** `instanceof` for branches of this copy of keepsake or another one loaded in the process (ESM and CJS). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(this, value, BRANCH_BRAND)
  }

  readonly #config: BranchConfig
  readonly #keeper: Keeper
  /** A durable branch's writes: the one of the state just kept, and reading the state back after one failed. */
  readonly #commits: Commits | undefined
  /** The mailbox and the way each message goes to the worker and its answer back. */
  readonly #courier: Courier
  #incarnation = 0
  #starting = false
  /** Restart bookkeeping: restart times inside the intensity window, and the total. */
  #restartWindow: readonly number[] = NO_RESTARTS
  #restartTotal = 0
  /** A failed restart is retried from the event loop, never in a synchronous loop. */
  #retry: (() => void) | undefined
  #stopReason: StopReason | undefined
  /** Set by a graceful stop: no new messages; deferred replies may still arrive. */
  #stopping = false
  /** How to bring the state back after the branch stopped (for a supervisor's keepState). */
  #finalImage: RestorePoint | undefined
  /** With `idleTimeout`: lets the worker go after that long with no message. */
  readonly #idle: IdleTimer | undefined
  /** Set while passivated: no worker, and where the next one resumes from. */
  #dormant: ResumePoint | undefined
  /** Deduplicated calls in flight, by key (made on the first one). */
  #groups: CallGroups | undefined

  private constructor(config: BranchConfig, durability: Durability | undefined, tables: Tables | undefined) {
    super()
    this.#config = config
    this.#keeper = new Keeper(tables)
    this.name = config.name
    this.id = config.name ?? `branch-${++counters.branch}`
    this.#commits = durability && new Commits(durability, {
      unblocked: () => this.#courier.drain(),
      lost: (error) => this.#onCommitLost(error),
      recovered: (stored) => this.#startIncarnation(stored ?? this.#initial()),
      unrecoverable: (error) => this.#terminate({ kind: 'failure', error })
    }, config.clock, config.input)
    const idle = config.idleTimeout === Infinity ? undefined : new IdleTimer(config.idleTimeout, config.clock, this)
    this.#idle = idle
    this.#courier = new Courier({
      subject: this,
      keeper: this.#keeper,
      commits: this.#commits,
      clock: config.clock,
      wake: idle && (() => {
        idle.touch()
        if (!this.#dormant) return false
        this.#activate()
        return true
      })
    })
    durability?.attach({
      persisted: (record) => this._emit('persisted', record),
      divergence: (error) => {
        if (this._listens('divergence')) this._emit('divergence', error)
        else warn(`keepsake: ${error.message}`)
      }
    })
  }

  /**
   * @internal Use `startBranch`. Starts a branch: a durable one from what its
   * store holds, else from `from` if given (a supervisor restarting a branch
   * with `keepState`), else fresh; with `seed`, from that state (a durable
   * branch's store is cleared and the seed written as its base); with
   * `tables`, holding those (a branch moved from another process). Rejects
   * with a typed error.
   */
  static async _open<L extends AnyActorLogic>(
    options: unknown,
    from?: RestorePoint,
    seed?: { state: unknown },
    tables?: Tables
  ): Promise<Branch<L>> {
    let config = readBranchOptions(options)
    if (seed && config.isolated) assertCloneable(seed.state, 'state')
    // A module-named logic is loaded here when it runs in this thread, or when an isolated
    // worker's durable keeper or seed needs it (recovery replays it here, a seed is computed here, inertly).
    const logic = config.module && (!config.isolated || config.durable || seed) ? await loadLogic(config.module) : (config.logic as AnyActorLogic)
    if (config.module && !config.isolated) config = { ...config, logic }
    const durability = config.durable && new Durability(logic, config.durable, config.isolated !== undefined)
    // A seed replaces whatever the store held for this branch.
    if (seed && config.durable) await config.durable.store.delete(config.durable.id)
    const stored = await durability?.recover(config.input)
    const seeded = seed && seedPoint(logic, seed.state, config.input)
    const branch = new Branch<L>(config, durability, tables)
    if (branch.name !== undefined) branchNames.register(branch.name, branch)
    live.branches.add(branch)
    branch.#startIncarnation(seeded ?? (durability ? (stored ?? branch.#initial()) : (from ?? branch.#initial())))
    // An isolated worker's first state comes from its thread or process.
    if (config.isolated) await branch.#courier.worker?.ready
    const reason = branch.#stopReason
    if (reason?.kind === 'failure') throw reason.error
    if (durability && !stored && branch.#keeper.snapshot) {
      try {
        await durability.begin(branch.#keeper.snapshot)
      } catch (error) {
        branch.#terminate({ kind: 'failure', error: new BranchStartError(branch.id, error) })
        throw error
      }
    }
    return branch
  }

  #initial(): RestorePoint {
    const { input } = this.#config
    return input === undefined ? FRESH : { kind: 'initial', input }
  }

  /**
   * `running`, `restarting` (between a crash and the next worker),
   * `passivated` (idle: no worker, its state kept; the next message brings
   * one back), `stopping` or `stopped`.
   */
  get status(): BranchStatus {
    if (this.#stopReason) return 'stopped'
    if (this.#stopping) return 'stopping'
    if (this.#dormant) return 'passivated'
    return this.#courier.worker ? 'running' : 'restarting'
  }

  /** The last good state (frozen): a machine's context, a reducer's state. */
  state(): StateOf<L> {
    return this.#keeper.state as StateOf<L>
  }

  /** The current worker's xstate actor (Peeper's `gen_server/1`); undefined while restarting or stopped, and for an isolated worker (its actor is in another thread or process). */
  worker(): ActorRefFrom<L> | undefined {
    return this.#courier.worker?.actor as ActorRefFrom<L> | undefined
  }

  /** The branch's parts and their status (OTP's `which_children`). */
  children(): BranchPart[] {
    const stopped = this.#stopReason !== undefined
    return [
      { id: 'keeper', status: stopped ? 'stopped' : 'running' },
      {
        id: 'worker',
        status: this.status,
        incarnation: this.#incarnation,
        restarts: this.#restartTotal
      }
    ]
  }

  /**
   * Sends `event` and waits for the reply: what the logic answered with
   * `reply`/`respond`/`replyTo`, or the state after the event if it answered
   * nothing. Rejects with `CallTimeoutError`, `WorkerCrashedError`,
   * `BranchStoppedError`, a validation error, or the `signal`'s reason when
   * it aborts (see `CallOptions.signal`).
   */
  call<E extends EventFromLogic<L>>(event: E, options?: CallOptions): Promise<ReplyFor<L, E>> {
    try {
      assertEvent(event)
      return this.#request(event, options, undefined)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  #request<T>(event: EventObject, options: CallOptions | undefined, rest: readonly EventObject[] | undefined): Promise<T> {
    const o = readOptions(options, 'call options')
    const timeout = readDuration(o.timeout, 'timeout', DEFAULT_CALL_TIMEOUT, true)
    const signal = readSignal(o.signal)
    this.#assertRunning()
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.#config.isolated) assertCloneable(rest ? [event, ...rest] : event, 'event')
    const chain = delivery.branch === undefined && o.reentrant === undefined ? undefined : chainFor(this.id, event.type, o.reentrant)
    if (!rest && (o.dedupe !== undefined || this.#config.grouper !== undefined)) {
      const key = groupKeyOf(event, o.dedupe, this.#config.grouper)
      if (key !== undefined) {
        this.#groups ??= new CallGroups(this.id, this.#courier)
        // A joined execution serves other callers too: aborting lets this caller go, the work goes on.
        return abortable(
          this.#groups.request(key, event.type, timeout, this.#config.clock, (execution) =>
            this.#courier.enqueue(chain ? { event, call: execution, chain } : { event, call: execution })
          ),
          signal
        ) as Promise<T>
      }
    }
    const call = new Call(this.#courier, this.id, event.type)
    if (chain) this.#courier.enqueue(rest ? { event, call, rest, chain } : { event, call, chain })
    else this.#courier.enqueue(rest ? { event, call, rest } : { event, call })
    call.arm(timeout, this.#config.clock)
    if (signal) call.abortOn(signal)
    return call.promise() as Promise<T>
  }

  /**
   * Sends `events` as one message, applied all or none: nothing else is
   * delivered in between; if one of them crashes the worker, none is kept
   * (and, durable, none is written); else, durable, they are written in one
   * go. Resolves like `call`, with the first answer given or the state after
   * the last event.
   */
  callAll<E extends EventFromLogic<L>>(events: readonly E[], options?: CallOptions): Promise<ReplyFor<L, E>> {
    try {
      const list = readList(events, 'events', 'a non-empty array of events')
      if (list.length === 0) throw new InvalidOptionError('events', 'a non-empty array of events', events)
      for (const event of list) assertEvent(event)
      const [first, ...rest] = list as EventObject[]
      return this.#request(first as EventObject, options, rest)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Sends `event` without waiting for anything (after `delay` ms if given). */
  cast(event: EventFromLogic<L>, options?: CastOptions): void {
    assertEvent(event)
    const delay = options === undefined ? 0 : castDelay(options)
    this.#assertRunning()
    if (this.#config.isolated !== undefined) assertCloneable(event, 'event')
    if (delay > 0) this.#courier.enqueueLater(event, delay)
    else this.#courier.enqueue({ event, call: undefined })
  }

  /** Like `cast`, for a raw message; returns the message (Kernel.send/2). */
  send<E extends EventFromLogic<L>>(message: E, options?: CastOptions): E {
    this.cast(message, options)
    return message
  }

  /**
   * Ends the current worker abruptly, as a crash would: the branch restarts it
   * from the kept state. For rehearsing failures.
   */
  kill(reason: unknown = KILLED): void {
    this.#assertRunning()
    if (this.#courier.worker) this.#onCrash(this.#incarnation, reason)
  }

  /**
   * Stops the branch. It takes no new messages; calls waiting for a deferred
   * reply get up to `timeout` ms (default 5000; 0 stops at once) to be
   * answered; then the worker stops, whatever is still queued or pending is
   * rejected with `BranchStoppedError`, and the name is released. Resolves once
   * everything has stopped; stopping twice is harmless.
   *
   * @example
   * await branch.stop({ timeout: 1000 })
   */
  async stop(options?: { timeout?: number }): Promise<void> {
    const timeout = readDuration(readOptions(options, 'stop options').timeout, 'timeout', DEFAULT_SHUTDOWN_TIMEOUT, true)
    if (this.#stopReason) return
    if (!this.#stopping && timeout > 0 && (this.#courier.awaitingDeferred || this.#commits)) {
      const { clock } = this.#config
      let timer: unknown
      await new Promise<void>((resolve) => {
        timer = timeout === Infinity ? undefined : clock.setTimeout(resolve, timeout)
        // Deferred replies first, then the writes they (and everything before) made.
        const commits = this.#commits
        this.#stopping = true
        this.#courier.whenDeferredSettled(() => (commits ? void commits.settled().then(resolve) : resolve()))
      })
      if (timer !== undefined) clock.clearTimeout(timer)
    }
    this.#terminate({ kind: 'shutdown' })
  }

  /**
   * @internal Used by cluster pools. A durable branch's first write as a new
   * activation of its id, before it is given any message: an activation
   * marker (`Durability.mark`). Rejects with the store's conflict error if
   * another writer wrote since this branch recovered; undefined for a branch
   * that is not durable.
   */
  _mark(mark: ActivationMark, tag: string): Promise<number | undefined> {
    const snapshot = this.#keeper.snapshot
    if (!this.#commits || !snapshot) return Promise.resolve(undefined)
    return this.#commits.mark(mark, tag, snapshot)
  }

  /**
   * @internal Used by `transfer`. Takes the worker down without failing
   * anything, leaving the state in xstate's persisted form (what would cross a
   * process boundary); messages queue until `_resume`.
   */
  _suspend(): RestorePoint {
    this.#assertRunning()
    // A start retried after a crash would run beside the worker `_resume` starts from the image.
    this.#cancelRetry()
    const worker = this.#courier.worker
    // A remote worker may be processing a message (a callAll batch: from the state before it).
    const kept = this.#courier.takeRestoreBase() as NonNullable<Keeper['snapshot']>
    const image = persistedImage(this.#config, kept, worker)
    this.#courier.requeueInFlight(worker?.deliveryApplied === true)
    if (worker) this.#retire(worker)
    this.#dormant = undefined
    this.#idle?.cancel()
    return image
  }

  /**
   * @internal Used by `transfer`: a new incarnation from `image`, then the
   * queued messages. Not while the state is read back after a failed write:
   * the image is ahead of the store, and the read-back starts the worker.
   */
  _resume(image: RestorePoint): void {
    if (!this.#stopReason && !this.#courier.worker && !this.#commits?.recovering) this.#startIncarnation(image)
  }

  /** @internal Messages queued and not yet delivered (for inspectors and telemetry). */
  get _queued(): number {
    return this.#courier.queued
  }

  /** @internal Restarts within the intensity window now, and the limit (for inspectors). */
  _intensity(): IntensityUse {
    return intensityUse(this.#restartWindow, this.#config.clock.now(), this.#config.intensity)
  }

  /** @internal How the branch is set up (for inspectors): where its state is kept, where its worker runs, when it passivates. */
  _setup(): BranchSetup {
    const { durable, isolated, idleTimeout } = this.#config
    return {
      durable: durable && { mode: durable.mode, durability: durable.durability },
      isolation: isolated ? isolated.config.mode : 'none',
      idleTimeout
    }
  }

  /** @internal The branch's tables (held by its keeper), for a move to another process. */
  _tables(): Tables {
    return this.#keeper.tables
  }

  /** @internal How to bring this branch's state back once it has stopped. */
  _finalImage(): RestorePoint | undefined {
    return this.#finalImage
  }

  /**
   * The last good snapshot (xstate's): what `getSnapshot()` of the worker's
   * actor returned after the last message processed without a crash. It
   * outlives the worker: while the branch restarts or is passivated it is
   * the kept one. An isolated branch keeps it in xstate's persisted form.
   * With `subscribe`, this makes a branch an xstate `Subscribable`, so
   * xstate's `waitFor` and `toPromise` take it.
   */
  getSnapshot(): SnapshotFrom<L> {
    return this.#keeper.snapshot as SnapshotFrom<L>
  }

  /** @internal Why the branch stopped, once it did (for `subscribe`). */
  protected override _stopReason(): StopReason | undefined {
    return this.#stopReason
  }

  /** @internal The first handler of an emitted event came: the current worker passes them on from now (the next ones from their start). */
  protected override _emittedWanted(): void {
    this.#courier.worker?.forwardEmitted?.()
  }

  #assertRunning(): void {
    if (this.#stopReason !== undefined || this.#stopping) throw this.#stoppedError()
  }

  /** Why a message is refused: the branch stopped, or is stopping. */
  #stoppedError(): BranchStoppedError {
    return this.#stopReason ? stoppedError(this.id, this.#stopReason) : new BranchStoppedError(this.id, 'it is stopping')
  }

  // ---- the worker's life -------------------------------------------------

  #startIncarnation(point: RestorePoint, activation = false): void {
    const incarnation = ++this.#incarnation
    this.#keeper.open(incarnation)
    const reports = new Reports(this, incarnation)
    const { clock, isolated, inspect } = this.#config
    const worker = isolated
      ? isolated.incarnate(incarnation, point, reports, { clock, tables: this.#keeper.tables, branchId: this.id })
      : new Worker(this.#config.logic as AnyActorLogic, point, reports, { clock, tables: this.#keeper.tables, inspect })
    // What the logic emits reaches the branch only once someone listens (see Worker.forwardEmitted).
    if (this._hearsEmitted) (worker as Incarnation).forwardEmitted?.()
    this.#courier.worker = worker
    this.#starting = true
    try {
      worker.start()
    } finally {
      this.#starting = false
    }
    if (this.#courier.worker !== worker) return // it died starting; #onCrash or #onDone took over
    this.#idle?.arm()
    if (activation) this._emit('activate', { branchId: this.id, incarnation })
    else if (incarnation > 1) {
      this._emit('restart', {
        branchId: this.id,
        incarnation,
        restartsInWindow: this.#restartWindow.length
      })
    }
    this.#courier.drain()
  }

  #onSnapshot(incarnation: number, snapshot: Parameters<Keeper['accept']>[1], event: EventObject | undefined): void {
    const previous = this.#keeper.snapshot
    let kept: boolean
    try {
      kept = this.#keeper.accept(incarnation, snapshot)
    } catch (error) {
      // A state that can't be kept (UnkeepableStateError) fails its message, as a throw would.
      return this.#onCrash(incarnation, error)
    }
    if (!kept) return
    this.#commits?.record(event, snapshot)
    this.#courier.release()
    // Most branches have no one to tell: the telling is out of line, so what runs for every message stays small.
    if (this._hearsState || this.#config.listener?.onStateChange) this.#announceState(previous, event)
  }

  /** Tells whoever listens of the snapshot just kept (`previous` before it): the state if it changed, the snapshot if it is news. */
  #announceState(previous: Snapshot<unknown> | undefined, event: EventObject | undefined): void {
    const prev = previous && stateOf(previous)
    const next = this.#keeper.state
    if (previous !== undefined && next !== prev) this.#stateChanged(prev as StateOf<L>, next as StateOf<L>)
    // An incarnation's first snapshot (event undefined) is the kept one brought back: not news.
    if (event !== undefined && this.#keeper.snapshot !== previous) this._notify(this.#keeper.snapshot as SnapshotFrom<L>)
  }

  #onEmitted(incarnation: number, event: EventObject): void {
    if (incarnation === this.#incarnation) this._announceEmitted(event)
  }

  #onCrash(incarnation: number, error: unknown): void {
    const worker = this.#courier.worker
    if (incarnation !== this.#incarnation || !worker) return // a retired worker's late report
    const kept = this.#courier.takeRestoreBase()
    // Read the restore point before the dead worker's children are stopped.
    const point = kept && worker.restorePoint(kept)
    // A hung message's call gets the hung error itself; the others learn of a crash.
    const hung = isInstance(error, WorkerHungError) ? error : undefined
    this.#lose(worker, error, (call, crashed) => (hung && call === crashed ? hung : new WorkerCrashedError(this.id, call.eventType, error)))

    if (!point) return this.#terminate({ kind: 'failure', error: new BranchStartError(this.id, error) })
    const { restarts: window, exceeded } = recordRestart(this.#restartWindow, this.#config.clock.now(), this.#config.intensity)
    this.#restartWindow = window
    this.#restartTotal++
    if (exceeded) {
      const { maxRestarts, maxSeconds } = this.#config.intensity
      this.#finalImage = point
      return this.#terminate({
        kind: 'failure',
        error: new RestartIntensityExceeded(this.id, maxRestarts, maxSeconds, error)
      })
    }
    if (!this.#starting) return this.#startIncarnation(point)
    // It crashed while starting: try again from the event loop (OTP's
    // try_again_restart), so a stop() or other messages can come first.
    this.#retry = immediate(() => {
      this.#retry = undefined
      this.#startIncarnation(point)
    })
  }

  /**
   * A write failed: the worker is ahead of what is durable. It is stopped (its
   * calls waiting on that write, or on it, reject) while the state is read
   * back from the store (see `Commits`).
   */
  #onCommitLost(error: unknown): void {
    // A start retried after a crash would run from a state the store may not hold: recovery starts the next worker.
    this.#cancelRetry()
    if (this.#courier.worker) this.#lose(this.#courier.worker, error, () => error)
  }

  /**
   * Lets the current `worker` go after it failed with `error`: the message it
   * was processing is lost with it (a remote one may be processing one), the
   * calls of that message and those waiting on it reject with `errorFor`
   * (given the call and the one in flight), and a crash is reported.
   */
  #lose(worker: Incarnation, error: unknown, errorFor: (call: Call, inFlight: Call | undefined) => unknown): void {
    this.#retire(worker)
    const crashed = this.#courier.takeInFlight()
    this.#courier.rejectPending(crashed?.call, (call) => errorFor(call, crashed?.call))
    this._emit('crash', { branchId: this.id, incarnation: this.#incarnation, error, event: crashed?.event })
  }

  // ---- idle passivation (see passivation.ts) ----------------------------

  /** Idle for good: a worker up, nothing pending anywhere, no children or timers of its own. */
  /** @internal For the idle timer (see `IdleHost`): whether the worker may be let go now. */
  _canPassivate(): boolean {
    const worker = this.#courier.worker
    if (!worker || this.#stopping || this.#stopReason || this.#commits?.recovering || this.#commits?.blocking || this.#retry) return false
    if (!this.#courier.quiet) return false
    const children = (this.#keeper.snapshot as { children?: object } | undefined)?.children
    if (children && Object.keys(children).length > 0) return false
    return !worker.hasPendingWork()
  }

  /** @internal For the idle timer: resolves once the durable writes have ended (undefined when there are none). */
  _idleSettled(): Promise<void> | undefined {
    return this.#commits?.settled()
  }

  /** @internal For the idle timer: stops the worker; only the kept state remains, which the next message resumes. */
  _passivate(): void {
    const worker = this.#courier.worker as Incarnation
    const kept = this.#keeper.snapshot as NonNullable<Keeper['snapshot']>
    this.#dormant = worker.restorePoint(kept)
    this.#retire(worker)
    this._emit('passivate', { branchId: this.id, incarnation: this.#incarnation })
  }

  /** A message for a passivated branch: a new worker from the kept state, synchronously (one, however many arrive). */
  #activate(): void {
    const point = this.#dormant as ResumePoint
    this.#dormant = undefined
    this.#startIncarnation(point, true)
  }

  #onDone(incarnation: number): void {
    const worker = this.#courier.worker
    if (incarnation !== this.#incarnation || !worker) return
    // The message that finished it is done: a batch of it is written, not dropped with the worker.
    this.#courier.finished()
    this.#terminate({ kind: 'normal', output: worker.output })
  }

  /** A remote worker processed the message in flight (its states and answers came first). */
  #onProcessed(incarnation: number): void {
    if (incarnation !== this.#incarnation || !this.#courier.worker) return
    this.#courier.processed()
  }

  /** Drops a start waiting to be retried (see `#onCrash`): something else starts the next worker, or none comes. */
  #cancelRetry(): void {
    this.#retry?.()
    this.#retry = undefined
  }

  #retire(worker: Incarnation): void {
    this.#keeper.close()
    this.#courier.worker = undefined
    worker.dispose()
  }

  #terminate(reason: StopReason): void {
    if (this.#stopReason) return
    this.#stopReason = reason
    this.#cancelRetry()
    this.#idle?.cancel()
    this.#dormant = undefined
    this.#commits?.close()
    this.#courier.cancelDelayed()
    const kept = this.#keeper.snapshot
    if (kept && !this.#finalImage) {
      const worker = this.#courier.worker
      this.#finalImage = worker ? worker.restorePoint(kept) : persistedImage(this.#config, kept, undefined)
    }
    if (this.#courier.worker) this.#retire(this.#courier.worker)
    else this.#keeper.close()
    this.#config.isolated?.close()

    this.#courier.rejectAll(stoppedError(this.id, reason))
    if (this.name !== undefined) branchNames.unregister(this.name, this)
    live.branches.delete(this)

    const state = this.#keeper.state as StateOf<L>
    this._guard(() => this.#config.listener?.onTerminate?.(reason, state))
    this._announceStop(reason, state)
  }

  // ---- telling the outside -----------------------------------------------

  #stateChanged(prev: StateOf<L>, next: StateOf<L>): void {
    const { listener } = this.#config
    if (listener?.onStateChange) this._guard(() => listener.onStateChange?.(next, prev))
    if (this._listens('state')) this._emit('state', next, prev)
  }
}

/** A cast's `delay` option, read and checked (only a cast given options pays for reading them). */
function castDelay(options: CastOptions): number {
  return readDuration(readOptions(options, 'cast options').delay, 'delay', 0)
}

/** The kept state in xstate's persisted form, with the pending delays of `worker` if it still stands. */
function persistedImage(config: BranchConfig, kept: NonNullable<Keeper['snapshot']>, worker: Incarnation | undefined): ResumePoint {
  const point = worker?.restorePoint(kept)
  if (point?.kind === 'persisted') return point
  // An isolated branch keeps its states in persisted form already.
  const snapshot = config.logic ? (config.logic.getPersistedSnapshot(kept) as typeof kept) : kept
  return { kind: 'persisted', snapshot, delays: point?.delays ?? [] }
}
