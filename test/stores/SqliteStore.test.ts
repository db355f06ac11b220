import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../src/shared/errors'
import { JournalConflictError, StoreUnavailableError } from '../../src/stores/errors'
import type { KeeperStore } from '../../src/stores/KeeperStore'
import { SqliteStore } from '../../src/stores/SqliteStore'
import { defineStoreContract } from './contract'
import { firstSteps, journalsAfter, journalsOf, random, type WorkloadPayload } from './workload'

const dir = mkdtempSync(join(tmpdir(), 'keepsake-sqlite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let files = 0
const freshPath = () => join(dir, `store-${files++}.db`)
const paths = new WeakMap<KeeperStore, string>()

/** Runs `sql` on the store's file through a connection of its own, behind the store's back. */
function behindItsBack(store: KeeperStore, sql: string, ...params: unknown[]): Promise<void> {
  const db = new Database(paths.get(store)!)
  try {
    db.prepare(sql).run(...params)
  } finally {
    db.close()
  }
  return Promise.resolve()
}

defineStoreContract('SqliteStore', {
  open: async () => {
    const path = freshPath()
    const store = await SqliteStore.open(path)
    paths.set(store, path)
    return store
  },
  corruptEvent: (store, id, seq) =>
    behindItsBack(store, `UPDATE keepsake_events SET payload = '{"n": 2, "trunc' WHERE id = ? AND seq = ?`, id, seq),
  corruptSnapshot: (store, id) => behindItsBack(store, `UPDATE keepsake_snapshots SET data = 'garbage' WHERE id = ?`, id)
})

describe('SqliteStore on disk', () => {
  it('keeps journals, snapshots and positions across close and reopen', async () => {
    const path = freshPath()
    const first = await SqliteStore.open(path)
    await first.append('a', [{ type: 't', payload: 1, tags: ['x'] }], 0)
    await first.appendBatch([
      { id: 'a', expectedSeq: 1, events: [{ type: 't', payload: 2 }] },
      { id: 'b', expectedSeq: 0, events: [{ type: 't', payload: 3, tags: ['x'] }] }
    ])
    await first.saveSnapshot('a', { seq: 2, data: { total: 3 } })
    const { next } = await first.queryByTag('x')
    await first.close()

    const again = await SqliteStore.open(path)
    try {
      expect((await again.read('a')).map((e) => e.payload)).toEqual([1, 2])
      expect(await again.lastSeq('b')).toBe(1)
      expect(await again.loadSnapshot('a')).toMatchObject({ seq: 2, data: { total: 3 } })
      expect(await again.listIds()).toEqual(['a', 'b'])
      await again.delete('b') // its position was the highest; a new event must still go above it
      await again.append('c', [{ type: 't', payload: 4, tags: ['x'] }], 0)
      expect((await again.queryByTag('x', { from: next })).events.map((e) => e.id)).toEqual(['c'])
    } finally {
      await again.close()
    }
  })

  it('lets two stores share one file, with conflicts detected across them', async () => {
    const path = freshPath()
    const [one, two] = [await SqliteStore.open(path), await SqliteStore.open(path)]
    try {
      await one.append('a', [{ type: 't', payload: 1 }], 0)
      expect(await two.lastSeq('a')).toBe(1)
      await expect(two.append('a', [{ type: 't', payload: 2 }], 0)).rejects.toBeInstanceOf(JournalConflictError)
      await two.append('a', [{ type: 't', payload: 2 }], 1)
      expect((await one.read('a')).map((e) => e.payload)).toEqual([1, 2])
    } finally {
      await Promise.all([one.close(), two.close()])
    }
  })

  it('uses WAL mode', async () => {
    const path = freshPath()
    const store = await SqliteStore.open(path, { synchronous: 'NORMAL' })
    const db = new Database(path, { readonly: true })
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    } finally {
      db.close()
      await store.close()
    }
  })

  it('rejects with StoreUnavailableError when the file cannot be opened, InvalidOptionError for bad options', async () => {
    const error = await SqliteStore.open(join(dir, 'no-such-dir', 'x.db')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect((error as Error).message).toContain('no-such-dir')
    await expect(SqliteStore.open(freshPath(), { synchronous: 'SOMETIMES' as never })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(SqliteStore.open(freshPath(), { busyTimeout: -1 })).rejects.toBeInstanceOf(InvalidOptionError)
  })
})

const WRITER = fileURLToPath(new URL('./sqlite-writer.ts', import.meta.url))
// A fresh seed each run (so runs explore different moments), printed in the
// test's name; KEEPSAKE_SEED=<n> replays one.
const seed = Number(process.env.KEEPSAKE_SEED ?? Math.floor(Math.random() * 2 ** 31))

/**
 * Starts the writer on `path` and SIGKILLs it right after a seeded random
 * number of acknowledgements: wherever it is then (mid-transaction, mid-fsync,
 * between appends). Resolves with how many steps it acknowledged.
 */
async function killWriterMidRun(path: string, runSeed: number): Promise<number> {
  const killAfter = 10 + Math.floor(random(runSeed ^ 0x5eed)() * 150)
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, String(runSeed)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  let acked = 0
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      expect(line).toBe(`ack ${acked}`)
      if (++acked === killAfter) break
    }
  } finally {
    child.kill('SIGKILL') // also when an expectation failed: never leave the writer running
  }
  const [code, signal] = await exited
  if (signal !== 'SIGKILL') throw new Error(`The writer ended by itself (code ${code}) after ${acked} acks: ${stderr}`)
  return acked
}

describe('SqliteStore after kill -9', () => {
  it.each([seed, seed + 1])('keeps every acknowledged append and invents nothing (seed %i)', async (runSeed) => {
    const path = freshPath()
    const acked = await killWriterMidRun(path, runSeed)

    const store = await SqliteStore.open(path)
    try {
      const { events } = await store.queryByTag('all')
      const steps = events.map((e) => (e.payload as unknown as WorkloadPayload).step)
      expect(steps).toEqual([...steps].sort((x, y) => x - y)) // global order is the order of the steps
      // The stored journals must be exactly the workload's first `done` steps,
      // each whole (all or none), and `done` must cover every acknowledged step.
      const done = steps.length === 0 ? 0 : steps[steps.length - 1]! + 1
      expect(done).toBeGreaterThanOrEqual(acked)
      const expected = journalsAfter(firstSteps(runSeed, done))
      expect(journalsOf(events)).toEqual(expected)
      for (const [id, journal] of Object.entries(expected)) expect(await store.lastSeq(id)).toBe(journal.length)
    } finally {
      await store.close()
    }
  })
})
