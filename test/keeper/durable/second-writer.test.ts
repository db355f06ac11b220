import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, startBranch, type KeeperStore } from '../../../src/index'
import { PostgresStore } from '../../../src/postgres'
import { SqliteStore } from '../../../src/sqlite'
import { startPostgres, type PostgresServer } from '../../support/postgres'
import { itemList } from './second-writer-logic'

// Issue 15, item 5: two processes run a durable branch with one id on one
// store. Each update either is acknowledged and then survives, or is refused
// with the store's conflict error: the second writer never overwrites what
// the first was told was durable.

const script = fileURLToPath(new URL('./second-writer.ts', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'keepsake-second-writer-'))
let pg: PostgresServer
beforeAll(async () => {
  pg = await startPostgres()
}, 60_000)
afterAll(async () => {
  await pg?.stop()
  rmSync(dir, { recursive: true, force: true })
})

interface Writer {
  add(item: string): Promise<{ ok: boolean; name?: string }>
  stop(): Promise<void>
}

async function startWriter(storeSpec: string, mode: string): Promise<Writer> {
  const child: ChildProcess = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, KS_STORE: storeSpec, KS_MODE: mode } })
  const exited = once(child, 'exit')
  const answers: ((answer: { ok: boolean; name?: string }) => void)[] = []
  await new Promise<void>((resolve, reject) => {
    void exited.then(() => reject(new Error('the writer exited before it started')))
    child.on('message', (message: { ready?: boolean; ok: boolean; name?: string }) => (message.ready ? resolve() : answers.shift()?.(message)))
  })
  return {
    add: (item) => new Promise((resolve) => (answers.push(resolve), child.send({ op: 'add', item }))),
    stop: async () => {
      child.send({ op: 'stop' })
      await exited
    }
  }
}

const stores: [string, (mode: string) => { spec: string; open(): Promise<KeeperStore> }][] = [
  ['one SQLite file', (mode) => {
    const file = join(dir, `${mode}.db`)
    return { spec: JSON.stringify({ file }), open: () => SqliteStore.open(file) }
  }],
  ['PostgreSQL', (mode) => {
    const options = { config: pg.connection, schema: mode }
    return { spec: JSON.stringify(options), open: () => PostgresStore.open(options) }
  }]
]

describe('second writer: two processes on one durable id', () => {
  describe.each(stores)('%s', (_, storeOf) => {
    it.each([
      ['snapshot', 'SnapshotConflictError'],
      ['journal', 'JournalConflictError']
    ])('%s mode: every acknowledged update survives; the losing write is refused with %s and its branch recovers', async (mode, conflict) => {
      const { spec, open } = storeOf(mode)
      // Both writers recover the same state (one item), then take turns.
      let store = await open()
      let branch = await startBranch({ logic: itemList, durable: { store, id: 'list', mode: mode as 'snapshot' | 'journal' } })
      await call(branch, { type: 'add', item: 'base' })
      await branch.stop()
      await store.close()
      const writers = [await startWriter(spec, mode), await startWriter(spec, mode)]
      const acked = ['base']
      const refused: string[] = []
      for (let round = 0; round < 6; round++) {
        for (const [w, writer] of writers.entries()) {
          const item = `${'ab'[w]}${round}`
          const answer = await writer.add(item)
          if (answer.ok) acked.push(item)
          else {
            expect(answer.name).toBe(conflict)
            refused.push(item)
          }
        }
      }
      await Promise.all(writers.map((w) => w.stop()))
      expect(refused.length).toBeGreaterThan(0)
      store = await open()
      branch = await startBranch({ logic: itemList, durable: { store, id: 'list', mode: mode as 'snapshot' | 'journal' } })
      expect(branch.state()).toEqual(acked)
      await branch.stop()
      await store.close()
    }, 60_000)
  })
})
