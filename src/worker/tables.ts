import { InvalidOptionError, NotInBranchError } from '../shared/errors'
import { safeRead } from '../shared/validate'
import { processWide } from '../shared/processWide'

/** Whatever holds a branch's tables across its worker's incarnations (the keeper). */
export interface TableProvider {
  table(name: string): Map<unknown, unknown>
}

// Keyed by the incarnation's actor system: every actor of one incarnation (the
// worker and the children it invokes or spawns) shares it, and a dead
// incarnation's system is unbound, so it can no longer reach the tables.
// One map per process, so `table()` from either copy of keepsake (ESM, CJS) finds the tables.
const providers = processWide('tableProviders.v1', () => new WeakMap<object, TableProvider>())

/** Gives the actors of one incarnation access to its branch's tables. */
export function bindTables(system: object, provider: TableProvider): void {
  providers.set(system, provider)
}

/** Takes that access away again (the incarnation died). */
export function unbindTables(system: object): void {
  providers.delete(system)
}

/**
 * A named table (a `Map`) private to the worker's branch. Tables survive the
 * worker's crashes and are handed to the restarted worker as they are (like
 * ETS tables with the keeper as heir): use them for data you would rather not
 * copy into the state on every message, such as caches or device handles.
 * Writes are not transactional: a write made before a crash stays.
 *
 * @example
 * actions: ({ self, event }) => { table<string, number>(self, 'seen').set(event.id, Date.now()) }
 */
export function table<K = unknown, V = unknown>(scope: { readonly system?: unknown }, name: string): Map<K, V> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidOptionError('name', 'a non-empty string', name)
  }
  // A WeakMap answers undefined for a key that is not an object: no need to check `system` first.
  const provider = providers.get(safeRead(scope, 'system') as object)
  if (!provider) throw new NotInBranchError('table()')
  return provider.table(name) as Map<K, V>
}
