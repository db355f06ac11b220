import type { EventObject } from 'xstate'
import { InvalidOptionError } from '../../shared/errors'
import { assertFunction, readOptions } from '../../shared/validate'
import type { KeeperStore } from '../../stores/KeeperStore'
import { readMigrationPlan, type MigrationPlan, type MigrationRecord, type Migrations, type StateCheck } from './migrations'

/**
 * Upgrades a stored event written with an older `version` to what the logic
 * takes now: return the event (changed or not), several events (a split), or
 * none. Throw for a version it does not know.
 */
export type EventAdapter = (event: EventObject, version: number) => EventObject | readonly EventObject[]

/** Options of a durable keeper (`startBranch({ durable })`). */
export interface DurableOptions {
  /** Where the state goes: `MemoryStore`, `SqliteStore`, `PostgresStore` or your own. */
  readonly store: KeeperStore
  /** The branch's id in the store (default: the branch's name). */
  readonly id?: string
  /**
   * `snapshot`: the worker's persisted snapshot is written after each message.
   * `journal` (event sourcing): each processed event is appended, and a
   * snapshot taken every `snapshotEvery` events; recovery replays the events
   * after the newest snapshot without running side effects. Default `snapshot`.
   */
  readonly mode?: 'snapshot' | 'journal'
  /**
   * `sync` (default): a call resolves once its message is durable, and the
   * next message waits for it. `batched`: messages go on at once; writes are
   * grouped (journal: one transaction per tick across every branch on the
   * store; snapshot: only the newest state is written) and a call resolves
   * when the write that covers it commits.
   */
  readonly durability?: 'sync' | 'batched'
  /** Journal mode: a snapshot every this many events (default 1000; 0 never). */
  readonly snapshotEvery?: number
  /**
   * Snapshot mode: write what each message changed in the state (appended to
   * the id's journal, fenced like an event), and the whole state only every
   * this many changes; recovery applies the changes after the newest whole
   * state. Pays for a big state that changes a little at a time. Default 0:
   * the whole state after each message. Keep it set for an id that has been
   * written with it: a start without it reads only the whole state.
   */
  readonly compactEvery?: number
  /**
   * The version of the logic (an integer >= 1; default: the last migration
   * step's, else 1). Every snapshot and journal event is stamped with it. A
   * stored snapshot of an older version is migrated by `migrations` (and
   * written back, once) before a worker starts; events of an older version
   * are upgraded by `adapter`. A newer version fails the start.
   */
  readonly version?: number
  /** @deprecated The older name of `version` (one number versions the logic's snapshots and events). */
  readonly eventVersion?: number
  /**
   * How a snapshot of an older version becomes one of `version`: steps keyed
   * by the version they produce, `migrations<V1>().step(2, (s) => ...)` (typed
   * from one shape to the next) or `{ 2: (s: V1) => V2, 3: (s: V2) => V3 }`.
   */
  readonly migrations?: Migrations<unknown> | MigrationRecord
  /**
   * Checks a migrated snapshot before a worker starts from it (after the
   * logic's own checks: status, context kind, a machine's state value):
   * return `true` or nothing if good, `false` or a reason if not, or throw.
   * Annotate its parameter with your state's type.
   */
  readonly validate?: StateCheck
  /** Journal mode: upgrades events stored with an older `version`, as they are read. */
  readonly adapter?: EventAdapter
  /** Journal mode: tags stored beside each event, for `store.queryByTag`. */
  readonly tags?: (event: EventObject) => readonly string[]
  /**
   * Journal mode: at a snapshot, replay the events since the previous one and
   * compare; a logic that replays to another state is reported with a
   * `divergence` event. The replay costs one more transition per event
   * checked, and runs after the calls waiting then (not on their path).
   * `'sampled'` (default): the first interval after each start, then one
   * interval in ten; `true`: every interval; `false`: none.
   */
  readonly verifyReplay?: boolean | 'sampled'
}

/** Durable options, checked, with defaults. */
export interface DurableConfig {
  readonly store: KeeperStore
  readonly id: string
  readonly mode: 'snapshot' | 'journal'
  readonly durability: 'sync' | 'batched'
  readonly snapshotEvery: number
  /** Snapshot mode: a whole snapshot every this many changes (0: whole snapshots only). */
  readonly compactEvery: number
  /** The logic's version, and how older snapshots are brought to it. */
  readonly migration: MigrationPlan
  readonly adapter: EventAdapter | undefined
  readonly tags: ((event: EventObject) => readonly string[]) | undefined
  readonly verifyReplay: boolean | 'sampled'
}

const STORE_METHODS = ['append', 'appendBatch', 'read', 'lastSeq', 'saveSnapshot', 'loadSnapshot', 'delete']

/** Checks `durable` options; `name` is the branch's name, the default id. */
export function readDurableOptions(value: unknown, name: string | undefined): DurableConfig {
  const o = readOptions(value, 'durable')
  const store = o.store as KeeperStore
  if (typeof store !== 'object' || store === null || !STORE_METHODS.every((m) => typeof (store as unknown as Record<string, unknown>)[m] === 'function')) {
    throw new InvalidOptionError('durable.store', 'a KeeperStore (MemoryStore, SqliteStore, PostgresStore)', store)
  }
  const id = o.id ?? name
  if (typeof id !== 'string' || id.length === 0) {
    throw new InvalidOptionError('durable.id', 'a non-empty string (or give the branch a name)', id)
  }
  const mode = o.mode ?? 'snapshot'
  if (mode !== 'snapshot' && mode !== 'journal') throw new InvalidOptionError('durable.mode', "'snapshot' or 'journal'", mode)
  const durability = o.durability ?? 'sync'
  if (durability !== 'sync' && durability !== 'batched') throw new InvalidOptionError('durable.durability', "'sync' or 'batched'", durability)
  const integer = (key: string, fallback: number, min: number): number => {
    const v = o[key] ?? fallback
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InvalidOptionError(`durable.${key}`, `an integer >= ${min}`, v)
    return v
  }
  if (o.adapter !== undefined) assertFunction(o.adapter, 'durable.adapter')
  if (o.tags !== undefined) assertFunction(o.tags, 'durable.tags')
  const compactEvery = integer('compactEvery', 0, 0)
  // Journal mode journals events, not states: a compactEvery there would be silently ignored.
  if (mode === 'journal' && compactEvery > 0) throw new InvalidOptionError('durable.compactEvery', "0 in journal mode (it is snapshot mode's)", compactEvery)
  const verifyReplay = o.verifyReplay ?? 'sampled'
  if (typeof verifyReplay !== 'boolean' && verifyReplay !== 'sampled') throw new InvalidOptionError('durable.verifyReplay', "a boolean or 'sampled'", verifyReplay)
  return {
    store,
    id,
    mode,
    durability,
    snapshotEvery: integer('snapshotEvery', 1000, 0),
    compactEvery,
    migration: readMigrationPlan(o, 'durable'),
    adapter: o.adapter as EventAdapter | undefined,
    tags: o.tags as DurableConfig['tags'],
    verifyReplay
  }
}
