import { EventEmitter } from 'eventemitter3'
import type { Clock } from '../shared/clock'
import {
  ChildAlreadyExistsError,
  ChildRestartingError,
  ChildRunningError,
  ChildStartError,
  describe,
  InvalidOptionError,
  RestartIntensityExceeded,
  SupervisorFullError,
  SupervisorStoppedError,
  UnknownChildError
} from '../shared/errors'
import { assertFunction, assertKnownOptions, readDuration, readList, readOptions, safeRead } from '../shared/validate'
import { Branch } from './Branch'
import { readClock } from './branchOptions'
import { backoffDelay, isRestarted, readChildSpec, type ChildConfig, type ChildSpec, type Supervised } from './childSpec'
import { intensityUse, readIntensity, recordRestart, type IntensityUse, type RestartIntensity } from './intensity'
import { live, probe, type SupervisorSignal } from './probe'
import { stopError, type StopReason, type SupervisorEvents } from './types'
import { immediate, warn } from '../shared/platform'
import { counters, isBranded } from '../shared/processWide'
import { asyncDispose, stopOnDispose } from '../shared/dispose'

/** OTP's restart strategies. */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one'

/** When the exit of `significant` children shuts the supervisor down (OTP 24's auto_shutdown). */
export type AutoShutdown = 'never' | 'any_significant' | 'all_significant'

/** Options of `startSupervisor`. */
export interface SupervisorOptions {
  /** A name for reports and the tree view (default `supervisor-N`). */
  id?: string
  /** Default `'one_for_one'`. */
  strategy?: Strategy
  /** Started in order; stopped in reverse order. */
  children?: readonly ChildSpec[]
  /** Restart intensity: more than `maxRestarts` restarts in `maxSeconds` and it gives up (default 3 in 5, Elixir's). */
  maxRestarts?: number
  maxSeconds?: number
  /** Default `'never'`. */
  autoShutdown?: AutoShutdown
  /** The most children it holds (default unlimited). */
  maxChildren?: number
  /** Time for the intensity window, backoff and shutdown timeouts. */
  clock?: Clock
}

/** A child as `whichChildren()` lists it (OTP's which_children). */
export interface ChildInfo {
  readonly id: string
  readonly type: 'worker' | 'supervisor'
  readonly restart: ChildConfig['restart']
  /** `restarting` while a restart is pending or failing; such a child is not active. */
  readonly status: 'running' | 'restarting' | 'stopped'
  readonly child: Supervised | undefined
  /** How many times the supervisor restarted it. */
  readonly restarts: number
}

/** One node of `tree()`: the whole hierarchy, for logs and inspectors. */
export interface TreeNode {
  readonly id: string
  readonly kind: 'supervisor' | 'branch' | 'worker'
  readonly status: string
  readonly restarts: number
  readonly strategy?: Strategy
  /** For a supervisor: restarts within its intensity window, and its limit. */
  readonly intensity?: { readonly inWindow: number; readonly maxRestarts: number; readonly maxSeconds: number }
  readonly incarnation?: number
  readonly children?: readonly TreeNode[]
}

/** The one state record of a child (OTP's #child{}). */
interface ChildRecord {
  readonly config: ChildConfig
  instance: Supervised | undefined
  /** The instance a restart replaces (for `keepState`). */
  previous: Supervised | undefined
  status: ChildInfo['status']
  restarts: number
  /** Consecutive restarts, for backoff. */
  attempt: number
  startedAt: number
  /** A pending restart (backoff or retry). */
  retry: { cancel(): void } | undefined
  onStop: ((reason: StopReason) => void) | undefined
}

const DEFAULT_INTENSITY: RestartIntensity = { maxRestarts: 3, maxSeconds: 5 }
const STRATEGIES: readonly Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one']
const AUTO_SHUTDOWNS: readonly AutoShutdown[] = ['never', 'any_significant', 'all_significant']

/** The options of `startSupervisor` (`SupervisorOptions`). */
const SUPERVISOR_OPTIONS: readonly string[] = ['id', 'strategy', 'children', 'maxRestarts', 'maxSeconds', 'autoShutdown', 'maxChildren', 'clock']

/** Marks supervisors, in every copy of keepsake loaded in the process. */
const SUPERVISOR_BRAND = Symbol.for('keepsake.supervisor')

/**
 * OTP's supervisor: starts children in order, restarts them by strategy,
 * restart type and restart intensity, escalates when it gives up, and stops
 * them in reverse order. Requests and child exits are handled one at a time,
 * in order, as a gen_server handles its mailbox.
 */
export class Supervisor implements Supervised {
  readonly id: string

  /** Stops it (`stop()` with its defaults), so `await using x = await ...` stops it at the end of the block. */
  declare [asyncDispose]: () => Promise<void>

  static {
    Object.defineProperty(this.prototype, SUPERVISOR_BRAND, { value: true })
    stopOnDispose(this.prototype)
  }

  /** `instanceof` for supervisors of this copy of keepsake or another one loaded in the process (ESM and CJS). */
  static [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(this, value, SUPERVISOR_BRAND)
  }
  readonly strategy: Strategy
  readonly #intensity: RestartIntensity
  readonly #autoShutdown: AutoShutdown
  readonly #maxChildren: number
  readonly #dynamic: boolean
  readonly #clock: Clock
  readonly #events = new EventEmitter<SupervisorEvents>()
  /** Children in start order (the record order is the start order). */
  readonly #children: ChildRecord[] = []
  /** The same records by id (OTP's `{Ids, Db}`): a lookup never scans the children. */
  readonly #byId = new Map<string, ChildRecord>()
  /** Restart times inside the intensity window. */
  #restartWindow: number[] = []
  #status: 'running' | 'stopping' | 'stopped' = 'running'
  #tail: Promise<unknown> = Promise.resolve()
  #busy = 0
  #idle: (() => void)[] = []
  #stopped: Promise<void> | undefined

  private constructor(o: Record<string, unknown>, dynamic: boolean) {
    assertKnownOptions(o, SUPERVISOR_OPTIONS, dynamic ? 'startDynamicSupervisor options' : 'startSupervisor options')
    this.id = typeof o.id === 'string' && o.id.length > 0 ? o.id : `supervisor-${++counters.supervisor}`
    if (o.id !== undefined && this.id !== o.id) throw new InvalidOptionError('id', 'a non-empty string', o.id)
    this.#dynamic = dynamic
    this.strategy = (o.strategy ?? 'one_for_one') as Strategy
    if (!STRATEGIES.includes(this.strategy)) throw new InvalidOptionError('strategy', STRATEGIES.join(', '), o.strategy)
    if (dynamic && this.strategy !== 'one_for_one') throw new InvalidOptionError('strategy', "'one_for_one' for a dynamic supervisor", o.strategy)
    // OTP (bad_combination) and Elixir refuse it too: children come and go at run time.
    if (dynamic && o.autoShutdown !== undefined) throw new InvalidOptionError('autoShutdown', 'absent for a dynamic supervisor', o.autoShutdown)
    this.#autoShutdown = (o.autoShutdown ?? 'never') as AutoShutdown
    if (!AUTO_SHUTDOWNS.includes(this.#autoShutdown)) {
      throw new InvalidOptionError('autoShutdown', AUTO_SHUTDOWNS.join(', '), o.autoShutdown)
    }
    this.#intensity = readIntensity({ maxRestarts: o.maxRestarts, maxSeconds: o.maxSeconds }, 'intensity', DEFAULT_INTENSITY)
    const max = o.maxChildren ?? Infinity
    if (typeof max !== 'number' || !(max === Infinity || (Number.isInteger(max) && max >= 0))) {
      throw new InvalidOptionError('maxChildren', 'an integer >= 0 or Infinity', max)
    }
    this.#maxChildren = max
    this.#clock = readClock(o.clock)
  }

  /** @internal Use `startSupervisor` / `startDynamicSupervisor`. */
  static async _start(options: unknown, dynamic: boolean): Promise<Supervisor> {
    const o = readOptions(options, 'supervisor options')
    const supervisor = new Supervisor(o, dynamic)
    const specs = readList(o.children ?? [], 'children', 'an array of child specs')
    if (dynamic && specs.length > 0) throw new InvalidOptionError('children', 'absent for a dynamic supervisor (use startChild)', specs)
    const configs = specs.map((spec) => supervisor.#readSpec(spec))
    // OTP's check_startspec: two initial children may not share an id.
    const ids = new Set<string>()
    for (const { id } of configs) {
      if (ids.has(id)) throw new ChildAlreadyExistsError(supervisor.id, id)
      ids.add(id)
    }
    live.supervisors.add(supervisor)
    await supervisor.#serial(() => supervisor.#startInitial(configs))
    return supervisor
  }

  /** `running`, `stopping` or `stopped`. */
  get status(): 'running' | 'stopping' | 'stopped' {
    return this.#status
  }

  /** Starts a child and adds it (OTP's start_child). Rejects with a typed error if it can't. */
  startChild(spec: ChildSpec): Promise<Supervised> {
    return this.#serial(async () => {
      this.#assertRunning()
      const config = this.#readSpec(spec)
      if (this.#children.length >= this.#maxChildren) throw new SupervisorFullError(this.id, this.#maxChildren)
      const record = newRecord(config)
      await this.#startRecord(record)
      this.#add(record)
      return record.instance as Supervised
    })
  }

  /** Stops a child; its spec stays (a dynamic supervisor's, or a temporary child's, goes). */
  terminateChild(id: string): Promise<void> {
    return this.#serial(async () => {
      this.#assertRunning()
      const record = this.#find(id)
      await this.#stopRecord(record)
      if (this.#dynamic || record.config.restart === 'temporary') this.#remove(record)
    })
  }

  /** Starts a stopped child again from its spec (OTP's restart_child). */
  restartChild(id: string): Promise<Supervised> {
    return this.#serial(async () => {
      this.#assertRunning()
      const record = this.#stoppedChild(id, 'restart')
      await this.#startRecord(record)
      return record.instance as Supervised
    })
  }

  /** Forgets a stopped child's spec (OTP's delete_child). */
  deleteChild(id: string): Promise<void> {
    return this.#serial(() => {
      this.#assertRunning()
      const record = this.#stoppedChild(id, 'delete')
      this.#remove(record)
    })
  }

  /** The children, in start order, with their status. */
  whichChildren(): ChildInfo[] {
    return this.#children.map((r) => ({
      id: r.config.id,
      type: r.config.type,
      restart: r.config.restart,
      status: r.status,
      child: r.instance,
      restarts: r.restarts
    }))
  }

  /** Counts of specs, running children, supervisors and workers (OTP's count_children). */
  countChildren(): { specs: number; active: number; supervisors: number; workers: number } {
    const supervisors = this.#children.filter((r) => r.config.type === 'supervisor').length
    return {
      specs: this.#children.length,
      active: this.#children.filter((r) => r.status === 'running').length,
      supervisors,
      workers: this.#children.length - supervisors
    }
  }

  /** The whole hierarchy below this supervisor: ids, kinds, status, restart counts. */
  tree(): TreeNode {
    const intensity = this._intensity()
    return {
      id: this.id,
      kind: 'supervisor',
      status: this.#status,
      restarts: intensity.inWindow,
      strategy: this.strategy,
      intensity,
      children: this.#children.map(nodeOf)
    }
  }

  /** @internal Restarts within the intensity window now, and the limit (for `tree()` and inspectors). */
  _intensity(): IntensityUse {
    return intensityUse(this.#restartWindow, this.#clock.now(), this.#intensity)
  }

  /** Resolves once no request, exit or restart (backoff included) is pending. */
  whenIdle(): Promise<void> {
    if (this.#busy === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /**
   * Stops every child in reverse start order, each within its `shutdown`
   * time, then itself. `timeout` bounds the whole (children still running
   * then are cut off). Resolves when the whole subtree has stopped.
   */
  stop(options?: { timeout?: number }): Promise<void> {
    const timeout = readDuration(readOptions(options, 'stop options').timeout, 'timeout', Infinity, true)
    return this.#shutdown(timeout, { reason: { kind: 'shutdown' }, onItsOwn: false })
  }

  /** Subscribes to one of the supervisor's events. */
  on<K extends keyof SupervisorEvents>(event: K, handler: SupervisorEvents[K]): this {
    assertFunction(handler, 'on(event, handler)')
    this.#events.on(event, handler as never)
    return this
  }

  /** Subscribes to the next occurrence of one of the supervisor's events. */
  once<K extends keyof SupervisorEvents>(event: K, handler: SupervisorEvents[K]): this {
    assertFunction(handler, 'once(event, handler)')
    this.#events.once(event, handler as never)
    return this
  }

  /** Removes a handler. */
  off<K extends keyof SupervisorEvents>(event: K, handler: SupervisorEvents[K]): this {
    assertFunction(handler, 'off(event, handler)')
    this.#events.off(event, handler as never)
    return this
  }

  /**
   * @internal Used by `transfer`: hands `child` with its spec to `to`, then
   * moves its worker's state through xstate's persisted form. Fails with a
   * typed error, leaving everything as it was, if this supervisor does not hold
   * it or `to` can't take it.
   */
  _transfer(branch: Branch, to: Supervisor): Promise<void> {
    return this.#serial(() => {
      this.#assertRunning()
      const record = this.#children.find((r) => r.instance === branch)
      if (!record) throw new UnknownChildError(this.id, branch.id)
      to.#assertCanAdopt(record.config)
      this.#unwatch(record)
      this.#remove(record)
      to.#adopt(record.config, branch)
      if (probe.on) probe.transferred(branch, this, to)
      branch._resume(branch._suspend())
    })
  }

  #assertCanAdopt(config: ChildConfig): void {
    this.#assertRunning()
    if (this.#byId.has(config.id)) throw new ChildAlreadyExistsError(this.id, config.id)
    if (this.#children.length >= this.#maxChildren) throw new SupervisorFullError(this.id, this.#maxChildren)
  }

  #adopt(config: ChildConfig, child: Supervised): void {
    const record = newRecord(config)
    this.#add(record)
    this.#watch(record, child, this.#clock.now())
  }

  // ---- starting and stopping children -----------------------------------

  async #startInitial(configs: ChildConfig[]): Promise<void> {
    for (const config of configs) {
      const record = newRecord(config)
      try {
        await this.#startRecord(record)
      } catch (error) {
        await this.#shutdown(Infinity, undefined)
        throw error
      }
      this.#add(record)
    }
  }

  /** Starts a record's child; throws `ChildStartError` (the record is left stopped). */
  async #startRecord(record: ChildRecord): Promise<void> {
    let child: unknown
    try {
      child = await record.config.start({ previous: record.previous })
    } catch (error) {
      throw new ChildStartError(this.id, record.config.id, error)
    }
    if (!isSupervised(child)) {
      throw new ChildStartError(this.id, record.config.id, new TypeError('start() must return a branch or a supervisor'))
    }
    if (this.#status !== 'running') {
      // stop() began while this child was starting; it must not outlive us.
      await child.stop({ timeout: 0 })
      throw new SupervisorStoppedError(this.id)
    }
    this.#watch(record, child, this.#clock.now())
    // A child that stopped before we could watch it exited at once.
    if (child.status === 'stopped') this.#childStopped(record, child, { kind: 'normal', output: undefined })
  }

  #watch(record: ChildRecord, child: Supervised, now: number): void {
    record.instance = child
    record.status = 'running'
    record.startedAt = now
    record.onStop = (reason) => this.#childStopped(record, child, reason)
    child.on('stop', record.onStop)
  }

  #unwatch(record: ChildRecord): void {
    if (record.instance && record.onStop) record.instance.off('stop', record.onStop)
    record.onStop = undefined
    record.retry?.cancel()
    record.retry = undefined
  }

  /**
   * Stops a record's child within its shutdown time (and before `deadline`,
   * when the whole supervisor's stop is bounded); a child that overstays is
   * cut off.
   */
  async #stopRecord(record: ChildRecord, deadline?: Promise<void>): Promise<void> {
    const child = record.instance
    this.#unwatch(record)
    record.instance = undefined
    record.status = 'stopped'
    if (!child) return
    const ms = record.config.shutdownMs
    const graceful = child.stop({ timeout: ms }).catch((error: unknown) => this.#report(error))
    let timer: unknown
    const outcomes = [graceful.then(() => true)]
    if (ms !== Infinity) outcomes.push(new Promise((resolve) => (timer = this.#clock.setTimeout(() => resolve(false), ms))))
    if (deadline) outcomes.push(deadline.then(() => false))
    const inTime = await Promise.race(outcomes)
    if (timer !== undefined) this.#clock.clearTimeout(timer)
    if (inTime) return
    this.#emit('cutOff', { supervisorId: this.id, childId: record.config.id })
    // As far as JavaScript allows a kill: stop at once, and don't wait for one that won't.
    void child.stop({ timeout: 0 }).catch((error: unknown) => this.#report(error))
  }

  // ---- exits and restarts -------------------------------------------------

  #childStopped(record: ChildRecord, child: Supervised, reason: StopReason): void {
    void this.#serial(() => this.#handleExit(record, child, reason))
  }

  async #handleExit(record: ChildRecord, child: Supervised, reason: StopReason): Promise<void> {
    if (record.instance !== child || this.#status !== 'running') return // stale, or we are stopping it
    this.#unwatch(record)
    record.instance = undefined
    record.previous = child
    this.#emit('childExit', { supervisorId: this.id, childId: record.config.id, reason })
    if (!isRestarted(record.config.restart, reason)) {
      record.status = 'stopped'
      if (this.#dynamic || record.config.restart === 'temporary') this.#remove(record)
      if (record.config.significant) await this.#maybeAutoShutdown()
      return
    }
    record.status = 'restarting'
    const { backoff } = record.config
    if (backoff && this.#clock.now() - record.startedAt >= backoff.resetAfterMs) record.attempt = 0
    this.#scheduleRestart(record, reason, backoff ? backoffDelay(backoff, record.attempt) : 0)
  }

  /**
   * Runs the restart for `record`'s exit after `delay` ms. A restart always
   * goes through the mailbox, never straight on: a stop or terminateChild
   * queued meanwhile comes first (OTP's try_again_restart).
   */
  #scheduleRestart(record: ChildRecord, reason: StopReason, delay: number): void {
    this.#busy++
    const run = (): void => {
      record.retry = undefined
      this.#busy--
      void this.#serial(() => this.#restart(record, reason))
    }
    if (delay > 0) {
      const handle = this.#clock.setTimeout(run, delay)
      record.retry = { cancel: () => (this.#clock.clearTimeout(handle), this.#busy--, this.#checkIdle()) }
    } else {
      const cancel = immediate(run)
      record.retry = { cancel: () => (cancel(), this.#busy--, this.#checkIdle()) }
    }
  }

  async #restart(record: ChildRecord, reason: StopReason): Promise<void> {
    // A record removed meanwhile was stopped first (terminateChild, deleteChild), so its status says it all.
    if (this.#status !== 'running' || record.status !== 'restarting') return
    const { restarts, exceeded } = recordRestart(this.#restartWindow, this.#clock.now(), this.#intensity)
    this.#restartWindow = restarts
    if (exceeded) {
      const { maxRestarts, maxSeconds } = this.#intensity
      const cause = new RestartIntensityExceeded(this.id, maxRestarts, maxSeconds, stopError(reason) ?? reason)
      // OTP's supervisor exits with `shutdown` here: a transient parent spec leaves it down.
      return this.#shutdown(Infinity, { reason: { kind: 'shutdown', cause }, onItsOwn: true })
    }
    const group = this.#restartGroup(record)
    // The exited child is among them: it has no instance, so stopping it only marks it stopped.
    for (const member of [...group].reverse()) {
      // A member waiting for its own retry is started with the group instead.
      if (member.instance) member.previous = member.instance
      await this.#stopRecord(member)
      if (member.config.restart === 'temporary') this.#remove(member)
    }
    const starting = group.filter((r) => this.#children.includes(r))
    for (const r of starting) r.status = 'restarting'
    // OTP's start_children: in start order, up to the first that fails to
    // start. That one is tried again; the ones after it stay down until it starts.
    for (const [at, r] of starting.entries()) {
      if (this.#status !== 'running') return
      r.attempt++
      r.restarts++
      try {
        await this.#startRecord(r)
        this.#emit('restart', { supervisorId: this.id, childId: r.config.id, restarts: r.restarts })
      } catch (error) {
        // A failed restart counts as one more restart, and is tried again.
        this.#emit('restartFailed', { supervisorId: this.id, childId: r.config.id, error: error as ChildStartError })
        for (const later of starting.slice(at + 1)) later.status = 'stopped'
        const failure = { kind: 'failure', error: error as ChildStartError } as const
        this.#scheduleRestart(r, failure, r.config.backoff ? backoffDelay(r.config.backoff, r.attempt) : 0)
        return
      }
    }
  }

  /** The children a restart of `record` stops and starts again, in start order (its strategy's group). */
  #restartGroup(record: ChildRecord): ChildRecord[] {
    switch (this.strategy) {
      case 'one_for_one':
        return [record]
      case 'one_for_all':
        return [...this.#children]
      case 'rest_for_one':
        return this.#children.slice(this.#children.indexOf(record))
    }
  }

  /** After a significant child's exit: only those call it, and autoShutdown 'never' refuses them, so it is any_ or all_significant. */
  async #maybeAutoShutdown(): Promise<void> {
    if (this.#autoShutdown === 'all_significant' && this.#children.some((r) => r.config.significant && r.status !== 'stopped')) return
    await this.#shutdown(Infinity, { reason: { kind: 'shutdown' }, onItsOwn: true })
  }

  // ---- shutting down ----------------------------------------------------

  /**
   * Stops all children in reverse start order, then itself; once. `exit` is
   * what it tells the world; a supervisor whose initial start failed never
   * existed for observers, and tells nothing (`undefined`).
   */
  #shutdown(timeout: number, exit: { reason: StopReason; onItsOwn: boolean } | undefined): Promise<void> {
    this.#stopped ??= (async () => {
      this.#status = 'stopping'
      let timer: unknown
      const deadline =
        timeout === Infinity ? undefined : new Promise<void>((resolve) => (timer = this.#clock.setTimeout(resolve, timeout)))
      const children = [...this.#children].reverse()
      // A dynamic supervisor's children are independent: they stop all at once,
      // each within its own shutdown time (as OTP and Elixir stop them).
      if (this.#dynamic) await Promise.all(children.map((record) => this.#stopRecord(record, deadline)))
      else for (const record of children) await this.#stopRecord(record, deadline)
      if (timer !== undefined) this.#clock.clearTimeout(timer)
      this.#status = 'stopped'
      live.supervisors.delete(this)
      if (exit) {
        if (exit.onItsOwn) this.#announce(exit.reason)
        this.#emit('stop', exit.reason)
      }
      this.#events.removeAllListeners()
    })()
    return this.#stopped
  }

  /**
   * Tells the world it stopped on its own. A failure that no one hears of (no
   * parent, no stop or shutdown handler) is still reported, as a warning.
   */
  #announce(reason: StopReason): void {
    const heard = this.#events.listenerCount('shutdown') + this.#events.listenerCount('stop') > 0
    this.#emit('shutdown', reason)
    const error = stopError(reason)
    if (!heard && error) {
      warn(`keepsake: supervisor "${this.id}" shut down: ${error.message}`)
    }
  }

  // ---- bookkeeping --------------------------------------------------------

  /** Runs `op` after every operation queued before it (the supervisor's mailbox). */
  #serial<T>(op: () => T | Promise<T>): Promise<T> {
    this.#busy++
    const result = this.#tail.then(op)
    this.#tail = result.then(
      () => this.#done(),
      () => this.#done()
    )
    return result
  }

  #done(): void {
    this.#busy--
    this.#checkIdle()
  }

  #checkIdle(): void {
    if (this.#busy > 0) return
    const waiting = this.#idle
    this.#idle = []
    for (const resolve of waiting) resolve()
  }

  #readSpec(spec: unknown): ChildConfig {
    const config = readChildSpec(spec, this.#dynamic ? () => `child-${++counters.child}` : undefined)
    if (config.significant && this.#autoShutdown === 'never') {
      throw new InvalidOptionError(`${config.id}.significant`, "false when autoShutdown is 'never'", true)
    }
    if (this.#byId.has(config.id)) throw new ChildAlreadyExistsError(this.id, config.id)
    return config
  }

  #find(id: string): ChildRecord {
    const record = this.#byId.get(id)
    if (!record) throw new UnknownChildError(this.id, typeof id === 'string' ? id : describe(id))
    return record
  }

  /** The record of a stopped child, for an operation that needs it stopped (OTP's `{error, running | restarting}`). */
  #stoppedChild(id: string, operation: string): ChildRecord {
    const record = this.#find(id)
    if (record.status === 'restarting') throw new ChildRestartingError(this.id, id, operation)
    if (record.status !== 'stopped') throw new ChildRunningError(this.id, id, operation)
    return record
  }

  #add(record: ChildRecord): void {
    this.#children.push(record)
    this.#byId.set(record.config.id, record)
  }

  /** Every caller holds a record it found among the children, so it is there, once, under its id. */
  #remove(record: ChildRecord): void {
    this.#children.splice(this.#children.indexOf(record), 1)
    this.#byId.delete(record.config.id)
  }

  #assertRunning(): void {
    if (this.#status !== 'running') throw new SupervisorStoppedError(this.id)
  }

  #emit<K extends keyof SupervisorEvents>(event: K, ...args: Parameters<SupervisorEvents[K]>): void {
    if (probe.on) probe.supervisorEvent(this, { event, args } as SupervisorSignal)
    try {
      ;(this.#events.emit as (e: K, ...a: unknown[]) => boolean)(event, ...args)
    } catch (error) {
      this.#report(error)
    }
  }

  #report(error: unknown): void {
    try {
      if (this.#events.listenerCount('listenerError') > 0) this.#events.emit('listenerError', error)
      else warn(`keepsake: in supervisor "${this.id}": ${String(error)}`)
    } catch {
      // The listenerError handler threw too; there is no one left to tell.
    }
  }
}

function newRecord(config: ChildConfig): ChildRecord {
  return {
    config,
    instance: undefined,
    previous: undefined,
    status: 'stopped',
    restarts: 0,
    attempt: 0,
    startedAt: 0,
    retry: undefined,
    onStop: undefined
  }
}

function isSupervised(value: unknown): value is Supervised {
  return ['stop', 'on', 'off'].every((key) => typeof safeRead(value, key) === 'function')
}

function nodeOf(record: ChildRecord): TreeNode {
  const child = record.instance
  if (child instanceof Supervisor) return { ...child.tree(), restarts: record.restarts }
  if (child instanceof Branch) {
    const worker = child.children()[1]
    return { id: record.config.id, kind: 'branch', status: child.status, restarts: record.restarts, incarnation: worker?.id === 'worker' ? worker.incarnation : 0 }
  }
  return { id: record.config.id, kind: record.config.type, status: record.status, restarts: record.restarts }
}
