import { call, MemoryStore, startBranch, type KeeperStore } from '../src/index'
import { interleave, type Schedule } from './harness'
import { countOf, durableLogic, INC, openSqlite } from './journal'
import { bigItems } from './logics'
import { row, type Row } from './report'
import { summarizeTask } from './stats'

/** Changes between two whole snapshots on the changes side. */
export const COMPACT_EVERY = 100

/**
 * Snapshot mode, sync, a ~1 MB state (the counter machine carrying
 * `bigItems`) of which each `inc` changes one field: whole snapshots (the
 * default) against changes with a whole snapshot every COMPACT_EVERY
 * (`compactEvery`), on MemoryStore and on SQLite NORMAL, in the same rounds.
 */
export async function changeRows(dir: string, schedule: Schedule): Promise<Row[]> {
  const rows: Row[] = []
  for (const kind of ['memory', 'NORMAL'] as const) {
    const store: KeeperStore = kind === 'memory' ? new MemoryStore() : await openSqlite(dir, 'changes-NORMAL', 'NORMAL')
    const input = { items: bigItems() }
    const open = (id: string, compactEvery: number) =>
      startBranch({ logic: durableLogic, input, durable: { store, id, mode: 'snapshot', durability: 'sync', compactEvery } })
    const [whole, changes] = [await open('whole', 0), await open('changes', COMPACT_EVERY)]
    const pool = await interleave(
      [
        { name: 'whole', async: true, fn: () => call(whole, INC) },
        { name: 'changes', async: true, fn: () => call(changes, INC) }
      ],
      schedule
    )
    // A start from what the changes wrote holds the same count: the line measured writes that recover.
    const live = countOf(changes.state())
    await Promise.all([whole.stop(), changes.stop()])
    const again = await open('changes', COMPACT_EVERY)
    const recovered = countOf(again.state())
    await again.stop()
    await store.close()
    if (recovered !== live) throw new Error(`changes: the branch counted ${live} incs, a start from its store ${recovered}`)
    const storeName = kind === 'memory' ? 'MemoryStore' : 'SQLite NORMAL'
    rows.push(
      row({
        name: `snapshot, sync, ~1 MB state, one field changed: changes (compactEvery ${COMPACT_EVERY}) vs whole snapshots, ${storeName}`,
        subject: summarizeTask(pool, 'changes', `changes, compactEvery ${COMPACT_EVERY}`),
        floor: summarizeTask(pool, 'whole', 'whole snapshot each call')
      })
    )
  }
  return rows
}
