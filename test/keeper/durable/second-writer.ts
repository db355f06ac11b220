/**
 * One of two processes writing one durable id (second-writer.test.ts): it
 * starts the branch `list` from the store named in KS_STORE (JSON: `{ file }`
 * for SQLite, `{ config, schema }` for PostgreSQL) in KS_MODE, then, told over IPC, adds items
 * (`{ op: 'add', item }` answers `{ ok: true }`, or `{ ok: false, name }`
 * with the error's class) and stops (`{ op: 'stop' }`).
 */
import { call, startBranch, type KeeperStore } from '../../../src/index'
import { PostgresStore } from '../../../src/postgres'
import { SqliteStore } from '../../../src/sqlite'
import { itemList } from './second-writer-logic'

const spec = JSON.parse(process.env.KS_STORE as string) as { file: string } | { config: object; schema: string }
const store: KeeperStore = 'file' in spec ? await SqliteStore.open(spec.file) : await PostgresStore.open(spec)
const branch = await startBranch({ logic: itemList, durable: { store, id: 'list', mode: process.env.KS_MODE as 'snapshot' | 'journal' } })

process.on('message', (message: { op: 'add'; item: string } | { op: 'stop' }) => {
  if (message.op === 'stop') {
    void branch.stop().then(() => store.close()).then(() => process.exit(0))
    return
  }
  call(branch, { type: 'add', item: message.item }, { timeout: 10_000 }).then(
    () => process.send?.({ ok: true }),
    (error: Error) => process.send?.({ ok: false, name: error.constructor.name })
  )
})
process.send?.({ ready: true })
