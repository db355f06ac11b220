/**
 * Drives a durable branch until it is killed: each acknowledged call is
 * printed as `ack <n>` (the branch then holds the sum 1..n). Writes reach
 * SQLite a turn of the event loop late (as a networked store's would), so a
 * call resolved before its write would be caught: at each acknowledgement the
 * writer reads what SQLite holds, and prints `early <n> <held>` if the update
 * acknowledged is not in it yet. Usage:
 * kill9-writer.ts <sqlite file> <snapshot|journal> [none|thread|process]
 */
import { SqliteStore } from '../../../src/sqlite'
import { call, startBranch } from '../../../src/index'
import { HeldStore } from '../../support/stores'
import { durableCounter, durableCounterModule } from './kill9-logic'

const [file, mode, isolation = 'none'] = process.argv.slice(2) as [string, 'snapshot' | 'journal', 'none' | 'thread' | 'process']
const sqlite = await SqliteStore.open(file)
const store = new HeldStore(sqlite, { lag: true })
const logic = isolation === 'none' ? { logic: durableCounter } : { logic: durableCounterModule, isolation }
const branch = await startBranch({ ...logic, name: 'k9', durable: { store, mode, snapshotEvery: 25 } })

/** The adds SQLite holds: the journal's length, or the snapshot's count. */
async function durableAdds(): Promise<number> {
  if (mode === 'journal') return sqlite.lastSeq('k9')
  const stored = await sqlite.loadSnapshot('k9')
  return (stored?.data as { context?: { adds?: number } } | undefined)?.context?.adds ?? 0
}

const start = (branch.state() as { adds: number }).adds
for (let n = start + 1; ; n++) {
  await call(branch, { type: 'add', n })
  const held = await durableAdds()
  if (held < n) process.stdout.write(`early ${n} ${held}\n`)
  process.stdout.write(`ack ${n}\n`)
}
