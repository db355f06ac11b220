/**
 * The process the SQLite crash test kills: performs the workload's steps on
 * the store at argv[2] and prints `ack N` once step N's append has resolved.
 * It runs until it is killed. Usage: node --import tsx sqlite-writer.ts <file> <seed>
 */
import { SqliteStore } from '../../src/stores/SqliteStore'
import { workload } from './workload'

const [file, seed] = process.argv.slice(2)
const store = await SqliteStore.open(file!)
let n = 0
for (const step of workload(Number(seed))) {
  if (step.length === 1) await store.append(step[0]!.id, step[0]!.events, step[0]!.expectedSeq)
  else await store.appendBatch(step)
  process.stdout.write(`ack ${n++}\n`)
}
