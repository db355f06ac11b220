import type { AnyActorLogic, EventFromLogic, InputFrom } from 'xstate'
import { BranchStoppedError, CallTimeoutError, ChildStartError, InvalidOptionError, KeyTakenError, SupervisorFullError, SupervisorStoppedError } from '../shared/errors'
import { assertEvent, assertKnownOptions, readDuration, readOptions } from '../shared/validate'
import type { DurableOptions } from '../keeper/durable/options'
import { Branch, DEFAULT_CALL_TIMEOUT } from '../supervisor/Branch'
import { BRANCH_OPTIONS, readBranchOptions, readClock, RENAMED_BRANCH_OPTIONS } from '../supervisor/branchOptions'
import { anchorLogicModule } from '../worker/isolated/options'
import { counters } from '../shared/processWide'
import { readSignal } from '../shared/abort'
import { asyncDispose, stopOnDispose } from '../shared/dispose'
import { Supervisor } from '../supervisor/Supervisor'
import type { Tables } from '../keeper/Tables'
import type { RestorePoint } from '../worker/restorePoint'
import type { BranchOptions, CallOptions, CastOptions, ReplyFor, StateOf } from '../supervisor/types'

/** A keyed pool's default `idleTimeout`: 10 s, hb_persistent's `worker_timeout`. */
export const DEFAULT_POOL_IDLE_TIMEOUT = 10_000

/**
 * How many of a pool's keys open at once (a durable key's recovery from its
 * store included), before the pool's supervisor takes each: it handles one
 * request at a time, and with the recovery inside it a burst of starts (a
 * cluster node's failover, a leave's handover) waited on each store read in
 * turn.
 */
const OPENS_AT_ONCE = 16

/** Options of `startPool`. */
export interface PoolOptions<L extends AnyActorLogic> extends Omit<BranchOptions<L>, 'name' | 'input' | 'durable' | 'idleTimeout'> {
  /** The pool's id: its supervisor's id, and the prefix of its keys' durable ids (default `pool-N`). */
  id?: string
  /** The input of a key's branch, on its first start only (default none). */
  input?: (key: string) => InputFrom<L>
  /**
   * ms with no message before a key's branch is passivated (its worker
   * stopped, its state kept; the next message brings it back). Default
   * 10,000 (hb_persistent's `worker_timeout`); `Infinity` never.
   */
  idleTimeout?: number
  /**
   * Makes every key's state durable in `store`, under the id `<pool id>/<key>`:
   * a key whose branch is gone (the process restarted, or it was stopped)
   * comes back from the store on its next message.
   */
  durable?: Omit<DurableOptions, 'id'>
  /** The most keys with a live branch at once (default unlimited). */
  maxKeys?: number
}

/** The options of `startPool` (`PoolOptions`): a branch's, but its name, and the pool's own. */
const POOL_OPTIONS: readonly string[] = [...BRANCH_OPTIONS.filter((option) => option !== 'name'), 'id', 'maxKeys']

/**
 * Branches on demand, by key (hb_persistent's `start_worker`/`forward_work`,
 * Orleans' virtual actors): a key's branch is started on its first message,
 * under a dynamic supervisor, and reached by its key from then on.
 */
export class Pool<L extends AnyActorLogic = AnyActorLogic> {
  /** The pool's id (its supervisor's). */
  readonly id: string
  /** The dynamic supervisor the keys' branches run under. */
  readonly supervisor: Supervisor
  /** Stops it (`stop()` with its defaults), so `await using x = await ...` stops it at the end of the block. */
  declare [asyncDispose]: () => Promise<void>

  static {
    stopOnDispose(this.prototype)
  }
  readonly #options: PoolOptions<L>
  readonly #branches = new Map<string, Branch<L>>()
  /** Keys whose branch is starting, with what waits for it (in arrival order). */
  readonly #starting = new Map<string, { waiting: { ready(branch: Branch<L>): void; failed(error: unknown): void }[] }>()
  /** Keys opening now, and the starts waiting for one of them to end (see {@link OPENS_AT_ONCE}). */
  #opening = 0
  readonly #waitingToOpen: (() => void)[] = []

  /** @internal Use `startPool`. */
  constructor(id: string, supervisor: Supervisor, options: PoolOptions<L>) {
    this.id = id
    this.supervisor = supervisor
    this.#options = options
  }

  /**
   * Calls the key's branch, starting it first if it has none (from the store
   * when durable). Resolves like `call`; the timeout counts from this call,
   * the branch's start included. Rejects with the start's error if it could
   * not start.
   *
   * @example
   * const total = await carts.call('cart-42', { type: 'add', sku: 'tea' })
   */
  call<E extends EventFromLogic<L>>(key: string, event: E, options?: CallOptions): Promise<ReplyFor<L, E>> {
    try {
      readKey(key)
      assertEvent(event)
      const live = this.#branches.get(key)
      if (live) return live.call(event, options)
      const o = readOptions(options, 'call options')
      const timeout = readDuration(o.timeout, 'timeout', DEFAULT_CALL_TIMEOUT, true)
      const signal = readSignal(o.signal)
      if (signal?.aborted) return Promise.reject(signal.reason)
      return new Promise((resolve, reject) => {
        const clock = readClock(this.#options.clock)
        const since = clock.now()
        // The caller may go (time out, or abort) while the branch starts: its promise settles
        // here, and the branch's own call below then does what it would for a settled caller.
        const settled = () => {
          if (timer !== undefined) clock.clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
        }
        const onAbort = () => {
          settled()
          reject(signal?.reason)
        }
        const timer = timeout === Infinity ? undefined : clock.setTimeout(() => {
          settled()
          reject(new CallTimeoutError(`${this.id}/${key}`, event.type, timeout))
        }, timeout)
        signal?.addEventListener('abort', onAbort)
        this.#whenUp(key, {
          ready: (branch) => {
            settled()
            // What is left of the timeout (at least 1 ms; Infinity stays so): a call that already timed out is still
            // delivered, as CallTimeoutError says; one already aborted is refused by the branch,
            // its message taken back as from a mailbox.
            const left = Math.max(1, timeout - (clock.now() - since))
            branch.call(event, { ...options, timeout: left }).then(resolve, reject)
          },
          failed: (error) => {
            settled()
            reject(error)
          }
        })
      })
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Casts to the key's branch, starting it first if it has none. Messages to
   * a key keep their order across its start. If the branch fails to start, a
   * cast is dropped (as to a stopped process); use `call` to know.
   */
  cast(key: string, event: EventFromLogic<L>, options?: CastOptions): void {
    readKey(key)
    assertEvent(event)
    readDuration(readOptions(options, 'cast options').delay, 'delay', 0)
    const live = this.#branches.get(key)
    if (live) return live.cast(event, options)
    this.#whenUp(key, { ready: (branch) => branch.cast(event, options), failed: () => {} })
  }

  /** Like `cast`, for a raw message; returns the message. */
  send<E extends EventFromLogic<L>>(key: string, message: E, options?: CastOptions): E {
    this.cast(key, message, options)
    return message
  }

  /**
   * Starts the key's branch from `state` (a machine's context, a reducer's
   * state) instead of its initial one (the logic's initial snapshot is
   * computed without input, its context replaced): the result of a computation, kept in
   * memory so follow-up requests on it are served without recomputing it
   * (hb_persistent keeps a resolved message in a worker). Durable, the seed
   * replaces what the store held for the key. Rejects with `KeyTakenError`
   * if the key already has a branch, or one is starting.
   *
   * @example
   * await reports.seed('q3', computeReport('q3'))
   */
  async seed(key: string, state: StateOf<L>): Promise<Branch<L>> {
    readKey(key)
    if (this.#branches.has(key) || this.#starting.has(key)) throw new KeyTakenError(this.id, key)
    return new Promise((resolve, reject) => this.#whenUp(key, { ready: resolve, failed: reject }, { state }))
  }

  /**
   * @internal Starts the key's branch if it has none (one start however many
   * ask), for a cluster pool's activation; with `moved`, from the state it
   * had on another node (a durable key recovers from its store instead).
   */
  _activate(key: string, moved?: Moved): Promise<Branch<L>> {
    readKey(key)
    const live = this.#branches.get(key)
    if (live) return Promise.resolve(live)
    return new Promise((resolve, reject) => this.#whenUp(key, { ready: resolve, failed: reject }, undefined, moved))
  }

  /** The key's live branch, if it has one (it may be passivated). */
  branch(key: string): Branch<L> | undefined {
    return this.#branches.get(key)
  }

  /** The keys with a live branch. */
  keys(): string[] {
    return [...this.#branches.keys()]
  }

  /** How many keys have a live branch. */
  get size(): number {
    return this.#branches.size
  }

  /** Stops every key's branch and the pool (durable state stays in the store). */
  stop(options?: { timeout?: number }): Promise<void> {
    return this.supervisor.stop(options)
  }

  /** Runs `waiter` once the key's branch is up: one start per key, however many wait. */
  #whenUp(key: string, waiter: { ready(branch: Branch<L>): void; failed(error: unknown): void }, seed?: { state: unknown }, moved?: Moved): void {
    const starting = this.#starting.get(key)
    if (starting) return void starting.waiting.push(waiter)
    if (this.supervisor.status !== 'running') throw new SupervisorStoppedError(this.supervisor.id)
    const entry = { waiting: [waiter] }
    this.#starting.set(key, entry)
    void this.#start(key, seed, moved).then(
      (branch) => {
        this.#starting.delete(key)
        // In arrival order, before anyone else can reach the branch.
        for (const w of entry.waiting) w.ready(branch)
      },
      (error: unknown) => {
        this.#starting.delete(key)
        for (const w of entry.waiting) w.failed(error)
      }
    )
  }

  async #start(key: string, seed: { state: unknown } | undefined, moved?: Moved): Promise<Branch<L>> {
    const { id: _id, input, durable, maxKeys: _maxKeys, idleTimeout, ...rest } = this.#options
    const options = (): BranchOptions<L> => ({
      ...rest,
      idleTimeout: idleTimeout ?? DEFAULT_POOL_IDLE_TIMEOUT,
      // A seeded branch needs no input: its state is given.
      ...(input && !seed ? { input: input(key) } : {}),
      ...(durable ? { durable: { ...durable, id: `${this.id}/${key}` } } : {})
    })
    // Refused before anything of the key is read or written, as the supervisor would (it checks again).
    const { maxKeys } = this.#options
    if (maxKeys !== undefined && this.#branches.size + this.#starting.size - 1 >= maxKeys) throw new SupervisorFullError(this.supervisor.id, maxKeys)
    const opened = await this.#open(key, () => Branch._open<L>(options(), moved?.image, seed, moved?.tables))
    let child: unknown
    try {
      child = await this.supervisor.startChild({ id: key, type: 'worker', restart: 'temporary', start: () => opened })
    } catch (error) {
      // Not taken (the supervisor stopped or is full): it must not outlive the refusal.
      await opened.stop({ timeout: 0 }).catch(() => undefined)
      throw error
    }
    const branch = child as Branch<L>
    if (branch.status === 'stopped') throw new BranchStoppedError(branch.id, 'it stopped as it started')
    this.#branches.set(key, branch)
    // No other branch can hold the key before this one's stop: a key starts anew only once it is gone.
    branch.on('stop', () => this.#branches.delete(key))
    return branch
  }

  /** Runs `open` once fewer than {@link OPENS_AT_ONCE} opens are under way; its failure is the supervisor's `ChildStartError`. */
  async #open<T>(key: string, open: () => Promise<T>): Promise<T> {
    while (this.#opening >= OPENS_AT_ONCE) await new Promise<void>((resolve) => this.#waitingToOpen.push(resolve))
    this.#opening++
    try {
      return await open()
    } catch (error) {
      throw new ChildStartError(this.supervisor.id, key, error)
    } finally {
      this.#opening--
      this.#waitingToOpen.shift()?.()
    }
  }
}

/** A key's state from another node: its restore point and its tables. */
export interface Moved {
  readonly image: RestorePoint | undefined
  readonly tables: Tables
}

function readKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidOptionError('key', 'a non-empty string', key)
}

/**
 * Starts a keyed pool: `pool.call(key, event)`, `cast` and `send` start the
 * key's branch on its first message (single flight: any number of concurrent
 * first messages start one), under a dynamic supervisor, and route later
 * messages to it. Idle branches passivate after `idleTimeout` (default 10 s);
 * with `durable`, a key's branch comes back from the store.
 *
 * @example
 * const carts = await startPool({ logic: cart, durable: { store } })
 * await carts.call('cart-42', { type: 'add', sku: 'tea' })
 */
export async function startPool<L extends AnyActorLogic>(options: PoolOptions<L>): Promise<Pool<L>> {
  const given = readOptions(options, 'startPool options')
  assertKnownOptions(given, POOL_OPTIONS, 'startPool options', RENAMED_BRANCH_OPTIONS)
  const o = anchorLogicModule(given, startPool) as unknown as PoolOptions<L>
  if (o.input !== undefined && typeof o.input !== 'function') throw new InvalidOptionError('input', 'a function (key) => input', o.input)
  if (readOptions(o.durable, 'durable').id !== undefined) {
    throw new InvalidOptionError('durable.id', 'absent: a pool names each key\'s record "<pool id>/<key>"', (o.durable as { id?: unknown }).id)
  }
  readDuration(o.idleTimeout, 'idleTimeout', DEFAULT_POOL_IDLE_TIMEOUT, true)
  const id = o.id ?? `pool-${++counters.pool}`
  // Check the branch options once, here, rather than at each key's first message.
  const { id: _id, maxKeys: _maxKeys, ...branchOptions } = o
  readBranchOptions({ ...branchOptions, input: undefined, durable: o.durable && { ...o.durable, id: `${id}/-` } })
  const supervisor = await Supervisor._start({ id, clock: o.clock, maxChildren: o.maxKeys }, true)
  return new Pool<L>(id, supervisor, o)
}
