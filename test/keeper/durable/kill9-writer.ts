/**
 * Drives a durable branch until it is killed: each acknowledged call is
 * printed as `ack <n>` (the branch then holds the sum 1..n). Usage:
 * kill9-writer.ts <sqlite file> <snapshot|journal> [none|thread|process]
 */
import { SqliteStore } from '../../../src/sqlite'
import { call, startBranch } from '../../../src/index'
import { durableCounter, durableCounterModule } from './kill9-logic'

const [file, mode, isolation = 'none'] = process.argv.slice(2) as [string, 'snapshot' | 'journal', 'none' | 'thread' | 'process']
const store = await SqliteStore.open(file)
const logic = isolation === 'none' ? { logic: durableCounter } : { logic: durableCounterModule, isolation }
const branch = await startBranch({ ...logic, name: 'k9', durable: { store, mode, snapshotEvery: 25 } })
const start = (branch.state() as { adds: number }).adds
for (let n = start + 1; ; n++) {
  await call(branch, { type: 'add', n })
  process.stdout.write(`ack ${n}\n`)
}
