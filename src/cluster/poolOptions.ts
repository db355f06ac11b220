import type { AnyActorLogic, InputFrom } from 'xstate'
import type { DurableOptions } from '../keeper/durable/options'
import type { RestartIntensity } from '../supervisor/intensity'
import { InvalidLogicError, InvalidOptionError } from '../shared/errors'
import { assertKnownOptions, readDuration, readOptions } from '../shared/validate'
import { isActorLogic } from '../worker/isActorLogic'
import { readToken } from './keys'
import { boundedHashing, type PlacementStrategy } from './strategies'

/**
 * A keyed pool spread over the cluster (virtual actors): every node is
 * started with the same pools, `node.pool(name).call(key, event)` from any
 * node reaches the key's one activation, placed on its first message
 * (docs/design/cluster-pools.md).
 */
export interface ClusterPoolKind<L extends AnyActorLogic = AnyActorLogic> {
  /** The logic of every key's branch. */
  readonly logic: L
  /**
   * Keeps each key's state in a store every node shares, under the id
   * `<pool>/<key>`: a passivated key comes back from it on any node.
   */
  readonly durable?: Omit<DurableOptions, 'id'>
  /** The input of a key's branch on its first start (JSON-free: it is computed on the node that activates it). */
  readonly input?: (key: string) => InputFrom<L>
  /** Restart intensity of each key's branch. */
  readonly intensity?: Partial<RestartIntensity>
  /**
   * ms with no message before a key is passivated and its placement
   * released. Default 10,000 for a durable pool; `Infinity` (never) for an
   * in-memory one, whose state passivation drops.
   */
  readonly idleTimeout?: number
  /** Where a new key goes. Default `boundedHashing()` (epsilon 0.25). */
  readonly strategy?: PlacementStrategy
  /** Messages in flight to one key (calls awaiting their reply, messages waiting for it) before `KeyOverloadedError`. Default 1,000. */
  readonly maxInFlightPerKey?: number
  /** Messages of the pool in flight on one node before it takes no new key (`NodeOverloadedError`). Default 100,000. */
  readonly maxInFlightPerNode?: number
  /** Placements a node keeps in its routing cache (least recently used go first). Default 100,000. */
  readonly maxCachedRoutes?: number
  /**
   * Moving keys, with their state, when a node joins (once its heartbeat has
   * been seen for `settle` ms), when a node leaves gracefully
   * (`node.stop()`), and when a node's load drifts above ceil((1 + epsilon) x
   * the mean) with no join (it sheds down to ceil((1 + epsilon / 2) x the
   * mean), then waits `settle` ms): at most `batch` moves at once per node. Default
   * `{ batch: 32, settle: two heartbeat periods }`; `false`: keys move only
   * on passivation and failover, and a leaving node releases its keys
   * (an in-memory key's state is dropped).
   */
  readonly rebalance?: RebalanceOptions | false
  /**
   * How a dead node's durable keys come back. `'lazy'` (default): each on
   * its next message. `'eager'`: each node keeps a manifest of its keys in
   * the placements bucket, and once a node's heartbeat lapses the live
   * nodes split its keys and start them at once, `batch` at a time per node
   * (default 32); keys the manifest missed come back lazily. Eager needs
   * `durable` (an in-memory key's state died with its node).
   */
  readonly failover?: 'lazy' | 'eager' | FailoverOptions
}

/** Options of a cluster pool's `failover`. */
export interface FailoverOptions {
  readonly mode: 'lazy' | 'eager'
  /** Keys of a dead node each live node starts at once (eager). Default 32. */
  readonly batch?: number
}

/** Options of a cluster pool's `rebalance`. */
export interface RebalanceOptions {
  /** Moves in flight at once, per node. Default 32. */
  readonly batch?: number
  /** ms a new node's heartbeat must have been seen before keys move to it (a flapping node moves nothing). Default two heartbeat periods (2/3 of the lease). */
  readonly settle?: number
}

/** `rebalance.batch` when not given. */
export const DEFAULT_REBALANCE_BATCH = 32

/** `failover.batch` when not given. */
export const DEFAULT_FAILOVER_BATCH = 32

/** `maxInFlightPerKey` when not given. */
export const DEFAULT_MAX_IN_FLIGHT_PER_KEY = 1000
/** `maxInFlightPerNode` when not given. */
export const DEFAULT_MAX_IN_FLIGHT_PER_NODE = 100_000
/** `idleTimeout` of a durable cluster pool when not given. */
export const DEFAULT_CLUSTER_POOL_IDLE_TIMEOUT = 10_000

/** A cluster pool as a node runs it: its options checked, defaults filled in. */
export interface PoolConfig {
  readonly name: string
  readonly kind: ClusterPoolKind
  readonly idleTimeout: number
  readonly strategy: PlacementStrategy
  readonly maxInFlightPerKey: number
  readonly maxInFlightPerNode: number
  readonly maxCachedRoutes: number
  /** Rebalancing, or false; `settle` undefined: two heartbeat periods. */
  readonly rebalance: { readonly batch: number; readonly settle: number | undefined } | false
  readonly failover: { readonly mode: 'lazy' | 'eager'; readonly batch: number }
}

const POOL_KIND_OPTIONS = ['logic', 'durable', 'input', 'intensity', 'idleTimeout', 'strategy', 'maxInFlightPerKey', 'maxInFlightPerNode', 'maxCachedRoutes', 'rebalance', 'failover']

/** Checks `startNode`'s `pools`, throwing a typed error naming the first bad option. */
export function readPoolKinds(value: unknown): Map<string, PoolConfig> {
  const pools = new Map<string, PoolConfig>()
  for (const [name, kind] of Object.entries(readOptions(value, 'pools'))) {
    readToken(name, `pools name "${name}"`)
    const at = `pools.${name}`
    const k = readOptions(kind, at)
    assertKnownOptions(k, POOL_KIND_OPTIONS, at)
    if (!isActorLogic(k.logic)) throw new InvalidLogicError(k.logic)
    if (k.durable !== undefined) readOptions(k.durable, `${at}.durable`)
    if (k.input !== undefined && typeof k.input !== 'function') throw new InvalidOptionError(`${at}.input`, 'a function (key) => input', k.input)
    const strategy = k.strategy ?? boundedHashing()
    const s = strategy as Partial<PlacementStrategy> | null
    if (typeof s !== 'object' || s === null || typeof s.place !== 'function') {
      throw new InvalidOptionError(`${at}.strategy`, 'a placement strategy (boundedHashing(), localFirst(), leastLoaded())', k.strategy)
    }
    const count = (option: string, fallback: number) => {
      const n = k[option] ?? fallback
      if (!Number.isSafeInteger(n) || (n as number) < 1) throw new InvalidOptionError(`${at}.${option}`, 'a whole number ≥ 1', k[option])
      return n as number
    }
    pools.set(name, {
      name,
      kind: k as unknown as ClusterPoolKind,
      idleTimeout: readDuration(k.idleTimeout, `${at}.idleTimeout`, k.durable ? DEFAULT_CLUSTER_POOL_IDLE_TIMEOUT : Infinity, true),
      strategy: strategy as PlacementStrategy,
      maxInFlightPerKey: count('maxInFlightPerKey', DEFAULT_MAX_IN_FLIGHT_PER_KEY),
      maxInFlightPerNode: count('maxInFlightPerNode', DEFAULT_MAX_IN_FLIGHT_PER_NODE),
      maxCachedRoutes: count('maxCachedRoutes', 100_000),
      rebalance: readRebalance(k.rebalance, `${at}.rebalance`),
      failover: readFailover(k.failover, `${at}.failover`, k.durable !== undefined)
    })
  }
  return pools
}

/** Checks a pool's `rebalance` option: false, or `{ batch?, settle? }`. */
function readRebalance(value: unknown, at: string): PoolConfig['rebalance'] {
  if (value === false) return false
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new InvalidOptionError(at, 'false, or { batch?, settle? }', value)
  }
  const o = readOptions(value, at)
  assertKnownOptions(o, ['batch', 'settle'], at)
  const batch = o.batch ?? DEFAULT_REBALANCE_BATCH
  if (!Number.isSafeInteger(batch) || (batch as number) < 1) throw new InvalidOptionError(`${at}.batch`, 'a whole number ≥ 1 (moves in flight at once)', o.batch)
  const settle = o.settle === undefined ? undefined : readDuration(o.settle, `${at}.settle`, 0)
  return { batch: batch as number, settle }
}

/** Checks a pool's `failover` option: 'lazy', 'eager' or `{ mode, batch? }`; eager only for a durable pool. */
function readFailover(value: unknown, at: string, durable: boolean): PoolConfig['failover'] {
  const o = typeof value === 'string' || value === undefined ? { mode: value ?? 'lazy' } : readOptions(value, at)
  assertKnownOptions(o, ['mode', 'batch'], at)
  const mode = o.mode
  if (mode !== 'lazy' && mode !== 'eager') throw new InvalidOptionError(typeof value === 'string' ? at : `${at}.mode`, "'lazy' or 'eager'", mode)
  if (mode === 'eager' && !durable) {
    throw new InvalidOptionError(at, "'lazy' for an in-memory pool (eager failover starts a dead node's keys from the store: give the pool `durable`)", value)
  }
  const batch = o.batch ?? DEFAULT_FAILOVER_BATCH
  if (!Number.isSafeInteger(batch) || (batch as number) < 1) throw new InvalidOptionError(`${at}.batch`, 'a whole number ≥ 1 (keys started at once)', o.batch)
  return { mode, batch: batch as number }
}
