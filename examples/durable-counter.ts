/**
 * A counter that survives its process: run it, kill it (Ctrl-C, kill -9,
 * a power cut), run it again: it carries on from the last acknowledged count.
 *
 * Run: npx tsx examples/durable-counter.ts [file] [ticks]
 *   file   the SQLite file (default ./durable-counter.db)
 *   ticks  how many increments this run makes (default: until killed)
 */
import { fromTransition } from 'xstate'
import { call, startBranch } from '../src/index'
import { SqliteStore } from '../src/sqlite'

const file = process.argv[2] ?? 'durable-counter.db'
const ticks = Number(process.argv[3] ?? Infinity)

const counter = fromTransition((count: number, e: { type: 'inc' } | { type: 'get' }) => (e.type === 'inc' ? count + 1 : count), 0)

const store = await SqliteStore.open(file)
const branch = await startBranch({
  logic: counter,
  name: 'visits',
  durable: { store, mode: 'journal', durability: 'sync', snapshotEvery: 100 }
})
console.log(`recovered count: ${branch.state()}`)
for (let i = 0; i < ticks; i++) {
  const count = await call(branch, { type: 'inc' }) // resolves once the increment is on disk
  if (ticks !== Infinity || count % 1000 === 0) console.log(`count: ${count}`)
}
await branch.stop()
await store.close()
