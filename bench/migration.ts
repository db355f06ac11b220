import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrateStore, migrations, type KeeperStore } from '../src/index'
import { interleave, type Task } from './harness'
import { durableLogic, openSqlite, persistedAt } from './journal'
import type { Profile } from './profile'
import { row, type Group } from './report'
import { summarizeTask } from './stats'

// Eager migration (`migrateStore`, what `npm run migrate -- apply` runs) of every snapshot of a
// kind, against reading the same snapshots back: what migrating costs beyond the read it needs.

const KIND = 'counters/'
/** A version 2 that keeps a note beside the count: the step copies the context and adds it. */
const steps = migrations<ReturnType<typeof persistedAt>>().step(2, (s) => ({ ...s, context: { ...s.context, note: '' } }))
const count = (n: number) => n.toLocaleString('en-US')

/** Writes (untimed) `n` snapshots under KIND as version 1 left them. */
async function writeVersion1(store: KeeperStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await store.saveSnapshot(`${KIND}${i}`, { seq: i, data: persistedAt(i), version: 1 })
}

/** One sample: every snapshot of the kind migrated (written back when `apply`), checked to be all of them. */
function migrateTask(name: string, store: KeeperStore, n: number, apply: boolean): Task {
  return {
    name,
    async: true,
    // A written-back snapshot is current: each sample starts from version 1 again, and so do the other tasks after this one's turn.
    ...(apply ? { beforeEach: () => writeVersion1(store, n), after: () => writeVersion1(store, n) } : {}),
    fn: async () => {
      const report = await migrateStore(store, { logic: durableLogic, migrations: steps, prefix: KIND, apply })
      if (report.migrated.length !== n) throw new Error(`migrated ${report.migrated.length} of ${n}`)
    }
  }
}

/** A floor: the same listing and snapshot reads, and nothing else; with `write`, each also saved back as it was, fenced. */
function readTask(name: string, store: KeeperStore, n: number, write: boolean): Task {
  return {
    name,
    async: true,
    fn: async () => {
      const listed = await store.listSnapshots({ prefix: KIND })
      let read = 0
      for (const { id } of listed) {
        const stored = await store.loadSnapshot(id)
        if (!stored) continue
        read++
        if (write) await store.saveSnapshot(id, { seq: stored.seq, data: stored.data, version: stored.version, expectedSeq: stored.seq })
      }
      if (read !== n) throw new Error(`read ${read} of ${n}`)
    }
  }
}

/** Migration throughput on SQLite (synchronous FULL, on disk: an operator's store), against a plain read. */
export async function migrationGroup(profile: Profile): Promise<Group> {
  const n = profile.quick ? 200 : 1_000
  const dir = mkdtempSync(join(tmpdir(), 'keepsake-bench-migration-'))
  try {
    const store = await openSqlite(dir, 'snapshots', 'FULL')
    await writeVersion1(store, n)
    const schedule = { ...profile.recovery, iterations: 2 }
    const pool = await interleave(
      [migrateTask('dry', store, n, false), readTask('read', store, n, false), migrateTask('apply', store, n, true), readTask('rewrite', store, n, true)],
      schedule
    )
    await store.close()
    const floor = summarizeTask(pool, 'read', 'listSnapshots + loadSnapshot each', n)
    return {
      id: 'migration',
      title: 'migration: snapshots of an older logic version brought to the current one, on SQLite',
      anchorTitle: 'SQLite alone',
      rows: [
        row({ name: `migrate ${count(n)} snapshots v1 -> v2, dry run`, subject: summarizeTask(pool, 'dry', 'migrateStore', n), floor }),
        row({ name: `migrate ${count(n)} snapshots v1 -> v2, written back`, subject: summarizeTask(pool, 'apply', 'migrateStore, apply', n), floor }),
        row({
          name: `migrate ${count(n)} snapshots v1 -> v2, written back, against rewriting them`,
          subject: summarizeTask(pool, 'apply', 'migrateStore, apply', n),
          floor: summarizeTask(pool, 'rewrite', 'loadSnapshot + fenced saveSnapshot each', n)
        })
      ],
      notes: [
        `One sample = \`migrateStore(store, { logic, migrations, prefix, apply })\` over ${count(n)} snapshots of the ` +
          "counter machine under one prefix, version 1 to 2 (a step that copies the context and adds a field); rates " +
          'are snapshots/s. Each snapshot is loaded, migrated, checked (JSON, restorable by the machine) and, applied, ' +
          'written back fenced, one transaction each (synchronous FULL: an fsync per snapshot, as an operator\'s store ' +
          'has). Before each applied sample the snapshots are rewritten as version 1, untimed. The floor lists and loads ' +
          'the same snapshots and does nothing else; the last line\'s floor also saves each back as it was, ' +
          'fenced, as the migration does (the fsyncs are then on both sides).'
      ]
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
