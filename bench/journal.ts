import { join } from 'node:path'
import { createActor, type Snapshot } from 'xstate'
import type { KeeperStore, NewEvent } from '../src/index'
import { SqliteStore, type SqliteSynchronous } from '../src/sqlite'
import { counterMachine, counterReducer, type CounterContext, type CounterEvent } from './logics'

// What the durable benchmarks write and read: the counter machine's `inc`,
// journaled exactly as a durable branch journals it, so a raw loop writes
// the same rows a branch does and a journal written raw replays as if a
// branch had written it.

export const INC: CounterEvent = { type: 'inc' }

/** The machine every durable line runs (a machine: what users journal, and what issue 6 measured). */
export const durableLogic = counterMachine('keepsake')

/** `INC` as Durability appends it: the event as payload, version 1, no tags. */
export const INC_RECORD: NewEvent = { type: INC.type, payload: { ...INC }, version: 1, tags: [] }

/** The same counter as a reducer: its journal holds the same rows, and replays ~10x cheaper a transition. */
export const durableReducer = counterReducer('keepsake')

type Persisted = Snapshot<unknown> & { context: CounterContext }

const initial = createActor(durableLogic, { input: undefined }).getPersistedSnapshot() as Persisted

/** The machine's persisted snapshot after `count` incs: what the keeper saves at that point. */
export function persistedAt(count: number): Persisted {
  return { ...initial, context: { ...initial.context, count } }
}

const reducerInitial = createActor(durableReducer).getPersistedSnapshot() as Snapshot<unknown> & { context: number }

/** The reducer's persisted snapshot after `count` incs. */
export function reducerPersistedAt(count: number): Snapshot<unknown> & { context: number } {
  return { ...reducerInitial, context: count }
}

/** The count a recovered branch holds (a machine's context, or a reducer's number): proof that what was measured replayed every event. */
export function countOf(state: unknown): number {
  return typeof state === 'number' ? state : (state as CounterContext).count
}

/** A SQLite store in its own file of `dir`. */
export function openSqlite(dir: string, name: string, synchronous: SqliteSynchronous): Promise<SqliteStore> {
  return SqliteStore.open(join(dir, `${name}.db`), { synchronous })
}

/** `n` copies of INC_RECORD, one append request's worth. */
export function incs(n: number): NewEvent[] {
  return Array.from({ length: n }, () => INC_RECORD)
}

/**
 * `store`, with `see` told of the arguments of each call of `method` (how
 * many journals each group commit covered, how many snapshot writes a burst
 * made), so a line can show it measured the writes it says. Methods are
 * bound to the store: its private fields need it.
 */
export function observed<M extends keyof KeeperStore>(
  store: KeeperStore,
  method: M,
  see: (...args: Parameters<NonNullable<KeeperStore[M]>>) => void
): KeeperStore {
  return new Proxy(store, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target)
      if (typeof value !== 'function') return value
      const bound = (value as (...args: unknown[]) => unknown).bind(target)
      if (key !== method) return bound
      return (...args: Parameters<NonNullable<KeeperStore[M]>>) => {
        see(...args)
        return bound(...args)
      }
    }
  })
}
