import type { AnyActorLogic } from 'xstate'
import { InvalidLogicError, RecoveryError, SnapshotMigrationError } from '../../shared/errors'
import { assertFunction, readOptions } from '../../shared/validate'
import { SnapshotConflictError } from '../../stores/errors'
import type { KeeperStore, StoredSnapshot } from '../../stores/KeeperStore'
import { isActorLogic } from '../../worker/isActorLogic'
import { withChangeRecords } from './changeRecords'
import { readMigrationPlan, snapshotUpgrader, type MigrationRecord, type Migrations, type SnapshotUpgrader, type StateCheck } from './migrations'

/** How many stored snapshots one version of the logic wrote (`snapshotVersions`). */
export interface VersionCount {
  readonly version: number
  readonly count: number
  /** Their ids, sorted. */
  readonly ids: string[]
}

/**
 * Which versions of the logic wrote the snapshots under `prefix` (a pool's
 * records: `'<pool id>/'`; default every id), oldest first: what a deploy
 * will have to migrate. Reads no snapshot data.
 *
 * @example
 * console.log(await snapshotVersions(store, { prefix: 'carts/' })) // [{ version: 1, count: 2, ids: [...] }, ...]
 */
export async function snapshotVersions(store: KeeperStore, options?: { readonly prefix?: string }): Promise<VersionCount[]> {
  const byVersion = new Map<number, string[]>()
  for (const { id, version } of await store.listSnapshots(options)) {
    const ids = byVersion.get(version) ?? byVersion.set(version, []).get(version)!
    ids.push(id)
  }
  return [...byVersion].sort(([a], [b]) => a - b).map(([version, ids]) => ({ version, count: ids.length, ids }))
}

/** The logic and versions a store is migrated to: the same fields as the branch's `durable` options. */
export interface MigrationTarget {
  readonly logic: AnyActorLogic
  /** See `DurableOptions.version`. */
  readonly version?: number
  /** See `DurableOptions.migrations`. */
  readonly migrations?: Migrations<unknown> | MigrationRecord
  /** See `DurableOptions.validate`. */
  readonly validate?: StateCheck
  /** The input the logic's initial state is computed from, for the context-kind check (default none). */
  readonly input?: unknown
}

/** What happened to one snapshot in `migrateStore`. */
export type MigrationOutcome = 'current' | 'migrated' | 'failed' | 'changed'

/** Options of `migrateStore`. */
export interface MigrateStoreOptions extends MigrationTarget {
  /** Only ids starting with it (a pool's records: `'<pool id>/'`). Default: every id. */
  readonly prefix?: string
  /** Write the migrated snapshots. Default false: a dry run, which reports what would change and writes nothing. */
  readonly apply?: boolean
  /** Told after each snapshot, for a progress bar. */
  readonly onProgress?: (progress: { readonly done: number; readonly total: number; readonly id: string; readonly outcome: MigrationOutcome }) => void
}

/** What `migrateStore` did (or, in a dry run, would do). */
export interface MigrationReport {
  readonly applied: boolean
  /** The version the snapshots were brought to. */
  readonly version: number
  /** How many snapshots were looked at. */
  readonly total: number
  /** Already at `version`. */
  readonly current: number
  /** Migrated (written back, when applied), by id. */
  readonly migrated: string[]
  /** Refused, with why: nothing written for them. A branch starting from one fails the same way. */
  readonly failed: SnapshotMigrationError[]
  /** Replaced or deleted by another writer between the read and the write (its writer has the newer state): left alone. */
  readonly changed: string[]
}

/**
 * Migrates every snapshot under `prefix` to the target version eagerly (all
 * the ids of a kind), as a branch would at its start: step by step, checked
 * against the logic and `validate`, each written back fenced on the one read
 * (a writer that replaced it meanwhile wins). A dry run by default: run it,
 * read the report, then run it with `apply: true`. Journal events are not
 * rewritten: the branch's `adapter` upgrades them as they are read.
 *
 * @example
 * const plan = await migrateStore(store, { logic: cartV2, migrations, prefix: 'carts/' })
 * if (plan.failed.length === 0) await migrateStore(store, { logic: cartV2, migrations, prefix: 'carts/', apply: true })
 */
export async function migrateStore(store: KeeperStore, options: MigrateStoreOptions): Promise<MigrationReport> {
  const o = readOptions(options, 'migrateStore options')
  if (!isActorLogic(o.logic)) throw new InvalidLogicError(o.logic)
  const logic = o.logic as AnyActorLogic
  const plan = readMigrationPlan(o, 'migrateStore')
  if (o.onProgress !== undefined) assertFunction(o.onProgress, 'migrateStore.onProgress')
  const onProgress = o.onProgress as MigrateStoreOptions['onProgress']
  const apply = o.apply === true
  const listed = await store.listSnapshots({ prefix: (o.prefix as string | undefined) ?? '' })
  const report = { applied: apply, version: plan.version, total: listed.length, current: 0, migrated: [] as string[], failed: [] as SnapshotMigrationError[], changed: [] as string[] }
  const upgrade = snapshotUpgrader(logic, plan, o.input)
  let done = 0
  for (const { id } of listed) {
    const outcome = await migrateOne(store, id, upgrade, plan.version, apply)
    if (outcome === 'current') report.current++
    else if (outcome === 'migrated' || outcome === 'changed') report[outcome].push(id)
    else report.failed.push(outcome)
    onProgress?.({ done: ++done, total: listed.length, id, outcome: outcome instanceof SnapshotMigrationError ? 'failed' : outcome })
  }
  return report
}

/** Migrates the snapshot of `id` to `target`, writing it back if `apply`. */
async function migrateOne(
  store: KeeperStore,
  id: string,
  upgrade: SnapshotUpgrader,
  target: number,
  apply: boolean
): Promise<Exclude<MigrationOutcome, 'failed'> | SnapshotMigrationError> {
  const found = await store.loadSnapshot(id)
  if (!found) return 'changed'
  try {
    const stored = await withChanges(store, id, found, target)
    const { data, migrated } = upgrade(id, stored)
    if (!migrated) return 'current'
    if (apply) await store.saveSnapshot(id, { seq: stored.seq, data, version: target, expectedSeq: found.seq })
    return 'migrated'
  } catch (error) {
    if (error instanceof SnapshotMigrationError) return error
    if (error instanceof SnapshotConflictError) return 'changed'
    throw error
  }
}

/**
 * `found` with the change records after it taken in (`compactEvery`): they
 * are of its version, so the migrated state must hold them, and is written
 * as of the last one (a start would refuse old changes after a newer
 * snapshot). Events after it (journal mode) are left to the branch's
 * `adapter`, as they are read. A record that can't be taken in fails the id.
 */
async function withChanges(store: KeeperStore, id: string, found: StoredSnapshot, target: number): Promise<StoredSnapshot> {
  try {
    return (await withChangeRecords(store, id, found, await store.lastSeq(id))).stored ?? found
  } catch (error) {
    if (!(error instanceof RecoveryError)) throw error
    throw new SnapshotMigrationError(id, error.seq ?? found.seq, found.version, target, `its change records can't be taken in (${error.message})`, error)
  }
}
