import { EventEmitter } from 'eventemitter3'
import type { AnyActorLogic, EmittedFrom, EventObject, Observer, SnapshotFrom, Subscribable, Subscription } from 'xstate'
import { InvalidOptionError } from '../shared/errors'
import { assertFunction, readOptions } from '../shared/validate'
import { warn } from '../shared/platform'
import { probe, type BranchSignal } from './probe'
import { BRANCH_EVENTS, type BranchEvents, type EmittedOf, type StateOf, type StopReason } from './types'

/**
 * What a branch tells the outside, and who listens: its own events (`on`,
 * `once`, `off`), the events its logic emits (by type, across incarnations),
 * and the subscribers to its kept snapshot (`subscribe`). Listeners' code runs
 * guarded, so what it throws never reaches xstate. The branch (a subclass)
 * decides when to announce; this part only keeps the listeners and calls them.
 */
export abstract class Announcer<L extends AnyActorLogic> implements Subscribable<SnapshotFrom<L>> {
  /** The branch's name, or a generated id when it has none. */
  abstract readonly id: string

  /** Handlers of the branch's own events (made on the first: most branches have none). */
  #events: EventEmitter<BranchEvents<StateOf<L>>> | undefined
  /** Handlers of the events the logic emits (xstate's `emit`), by type ('*': all), across incarnations (made on the first). */
  #emitted: EventEmitter<Record<string, (event: EventObject) => void>> | undefined
  /** Subscribers to the kept snapshot (made on the first one). */
  #observers: Set<Observer<SnapshotFrom<L>>> | undefined

  /** @internal Why the branch stopped, once it did: a subscriber that comes then is ended at once. */
  protected abstract _stopReason(): StopReason | undefined

  /** @internal The first handler of an emitted event came: the worker starts passing them on. */
  protected abstract _emittedWanted(): void

  /** @internal True once someone handles the logic's emitted events (a new worker passes them on from its start). */
  protected get _hearsEmitted(): boolean {
    return this.#emitted !== undefined
  }

  /**
   * Subscribes to one of the branch's events (`BranchEvents`: state, crash,
   * restart, stop, ...), or to an event its logic emits (xstate's `emit`) by
   * that event's type, `'*'` for all of them. Emitted-event handlers stay on
   * the branch, so they hear every incarnation's events, across restarts.
   * An emitted event whose type is one of the branch's own event names
   * reaches `'*'` handlers only. Emitted events come from in-thread workers
   * (not with `isolation`).
   *
   * @example
   * branch.on('crash', (report) => log.warn(report))
   * branch.on('lowBattery', (event) => notify(event.level)) // machine: emit({ type: 'lowBattery', level })
   */
  on<K extends keyof BranchEvents<StateOf<L>>>(event: K, handler: BranchEvents<StateOf<L>>[K]): this
  on<T extends EmittedFrom<L>['type'] | '*'>(event: T, handler: (emitted: EmittedOf<L, T>) => void): this
  on(event: string, handler: (...args: never[]) => unknown): this {
    assertFunction(handler, 'on(event, handler)')
    this.#emitterOf(event).on(event, handler as never)
    return this
  }

  /** Like `on`, for the next occurrence only. */
  once<K extends keyof BranchEvents<StateOf<L>>>(event: K, handler: BranchEvents<StateOf<L>>[K]): this
  once<T extends EmittedFrom<L>['type'] | '*'>(event: T, handler: (emitted: EmittedOf<L, T>) => void): this
  once(event: string, handler: (...args: never[]) => unknown): this {
    assertFunction(handler, 'once(event, handler)')
    this.#emitterOf(event).once(event, handler as never)
    return this
  }

  /** Removes a handler added with `on` or `once`. */
  off<K extends keyof BranchEvents<StateOf<L>>>(event: K, handler: BranchEvents<StateOf<L>>[K]): this
  off<T extends EmittedFrom<L>['type'] | '*'>(event: T, handler: (emitted: EmittedOf<L, T>) => void): this
  off(event: string, handler: (...args: never[]) => unknown): this {
    assertFunction(handler, 'off(event, handler)')
    this.#emitterOf(event).off(event, handler as never)
    return this
  }

  /**
   * `off` by Node's EventEmitter name, so Node's `events.once(branch, 'stop')`
   * and `events.on(branch, 'pong', { signal })` take a branch and remove
   * their handlers when done or aborted.
   */
  removeListener(event: string, handler: (...args: never[]) => unknown): this {
    assertFunction(handler, 'removeListener(event, handler)')
    this.#emitterOf(event).off(event, handler as never)
    return this
  }

  /** Where handlers of `event` live: the branch's own events, or those its logic emits. */
  #emitterOf(event: string): EventEmitter<string> {
    if (typeof event !== 'string') throw new InvalidOptionError('event', 'an event name (a string)', event)
    if (BRANCH_EVENTS.has(event)) return (this.#events ??= new EventEmitter()) as unknown as EventEmitter<string>
    if (!this.#emitted) {
      this.#emitted = new EventEmitter()
      this._emittedWanted()
    }
    return this.#emitted as unknown as EventEmitter<string>
  }

  /**
   * Subscribes to the kept snapshot, across restarts: `next` gets each new
   * one (not the one a restart brings back); `complete` comes when the branch
   * stops normally or is stopped, `error` (with the error) when it fails,
   * e.g. with `RestartIntensityExceeded`. Subscribing to a stopped branch
   * completes (or errors) at once.
   *
   * @example
   * const done = await waitFor(branch, (snapshot) => snapshot.context.count >= 3)
   */
  subscribe(observer: Observer<SnapshotFrom<L>>): Subscription
  subscribe(next: (snapshot: SnapshotFrom<L>) => void, error?: (error: unknown) => void, complete?: () => void): Subscription
  subscribe(
    nextOrObserver: Observer<SnapshotFrom<L>> | ((snapshot: SnapshotFrom<L>) => void),
    error?: (error: unknown) => void,
    complete?: () => void
  ): Subscription {
    const observer = readObserver<SnapshotFrom<L>>(nextOrObserver, error, complete)
    const ended = this._stopReason()
    if (ended) {
      this.#endObserver(observer, ended)
      return { unsubscribe: () => {} }
    }
    ;(this.#observers ??= new Set()).add(observer)
    return { unsubscribe: () => void this.#observers?.delete(observer) }
  }

  /** @internal True when a new kept snapshot has someone to go to: a subscriber (even one gone since), or a `state` handler. */
  protected get _hearsState(): boolean {
    return this.#observers !== undefined || this._listens('state')
  }

  /** @internal Tells subscribers of the kept snapshot of a new one, in subscription order. */
  protected _notify(snapshot: SnapshotFrom<L>): void {
    const observers = this.#observers
    if (!observers?.size) return
    for (const observer of observers) if (observer.next) this._guard(() => observer.next?.(snapshot))
  }

  /** @internal Tells the handlers of an event the logic emitted (by its type, then `'*'`). */
  protected _announceEmitted(event: EventObject): void {
    const emitted = this.#emitted
    if (!emitted) return
    this._guard(() => emitted.emit(event.type, event))
    this._guard(() => emitted.emit('*', event))
  }

  /**
   * @internal The branch stopped for `reason`, leaving `state`: the `stop`
   * event, then every handler is let go and every subscriber ended (`error`
   * for a failure, else `complete`), as are those that subscribe later
   * (`_stopReason` is set by then).
   */
  protected _announceStop(reason: StopReason, state: StateOf<L>): void {
    this._emit('stop', reason, state)
    this.#events?.removeAllListeners()
    this.#emitted?.removeAllListeners()
    const observers = this.#observers
    this.#observers = undefined
    for (const observer of observers ?? []) this.#endObserver(observer, reason)
  }

  /** An observer of a stopped branch: `error` for a failure (as an actor's), else `complete`. */
  #endObserver(observer: Observer<SnapshotFrom<L>>, reason: StopReason): void {
    if (reason.kind === 'failure') this._guard(() => observer.error?.(reason.error))
    else this._guard(() => observer.complete?.())
  }

  /** @internal Emits one of the branch's own events (probe observers hear of it first). */
  protected _emit<K extends keyof BranchEvents<StateOf<L>>>(event: K, ...args: Parameters<BranchEvents<StateOf<L>>[K]>): void {
    if (probe.on) probe.branchEvent(this, { event, args } as BranchSignal)
    const events = this.#events
    if (events) this._guard(() => (events.emit as (e: K, ...a: unknown[]) => boolean)(event, ...args))
  }

  /** @internal True when someone handles `event` (so an event that costs something to make is made only then). */
  protected _listens(event: keyof BranchEvents<StateOf<L>>): boolean {
    return this.#events !== undefined && this.#events.listenerCount(event) > 0
  }

  /**
   * @internal Runs user code (a listener, an event handler) so that what it throws can't
   * reach xstate, which would rethrow it out of band and take the process down.
   */
  protected _guard(run: () => unknown): void {
    try {
      run()
    } catch (error) {
      try {
        if (this._listens('listenerError')) this.#events?.emit('listenerError', error)
        else warn(`keepsake: a listener of branch "${this.id}" threw: ${String(error)}`)
      } catch {
        // The listenerError handler threw too; there is no one left to tell.
      }
    }
  }
}

/** An observer as `subscribe` takes it, checked: a function (with error and complete functions) or an object of them. */
function readObserver<T>(nextOrObserver: unknown, error: unknown, complete: unknown): Observer<T> {
  const given = typeof nextOrObserver === 'function' ? { next: nextOrObserver, error, complete } : readOptions(nextOrObserver, 'subscribe(observer)')
  for (const key of ['next', 'error', 'complete'] as const) {
    if (given[key] !== undefined && typeof given[key] !== 'function') throw new InvalidOptionError(`subscribe observer.${key}`, 'a function', given[key])
  }
  return given as Observer<T>
}
