import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../src/shared/errors'
import { StoreUnavailableError } from '../../src/stores/errors'
import { SqliteStore, type SqliteSynchronous } from '../../src/stores/SqliteStore'

const dir = mkdtempSync(join(tmpdir(), 'keepsake-sqlite-options-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const freshPath = () => join(dir, `store-${files++}.db`)

async function openError(path: unknown, options?: unknown): Promise<InvalidOptionError> {
  const error = await SqliteStore.open(path as string, options as never).then(
    (store) => store.close().then(() => expect.fail('expected open to reject')),
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(InvalidOptionError)
  return error as InvalidOptionError
}

describe('SqliteStore.open options', () => {
  it('refuses a path that is not a non-empty string, naming it', async () => {
    for (const path of ['', 5, undefined]) {
      expect(await openError(path)).toMatchObject({ option: 'path', message: expect.stringContaining('must be a file path;') })
    }
  })

  it('refuses options that are not an object', async () => {
    expect((await openError(freshPath(), 'FULL')).option).toBe('SqliteStore.open options')
  })

  it('opens with each synchronous level, and refuses any other', async () => {
    for (const synchronous of ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as SqliteSynchronous[]) {
      const store = await SqliteStore.open(freshPath(), { synchronous })
      expect(await store.append('a', [{ type: 't', payload: synchronous }], 0)).toBe(1)
      await store.close()
    }
    for (const synchronous of ['full', '', 2]) {
      const error = await openError(freshPath(), { synchronous })
      expect(error).toMatchObject({ option: 'synchronous', message: expect.stringContaining("must be 'OFF', 'NORMAL', 'FULL' or 'EXTRA';") })
    }
  })

  it('takes a busyTimeout of 0 or more whole ms, and refuses any other', async () => {
    for (const busyTimeout of [-1, 1.5, '100']) {
      const error = await openError(freshPath(), { busyTimeout })
      expect(error).toMatchObject({ option: 'busyTimeout', message: expect.stringContaining('must be an integer number of ms >= 0;') })
    }
    const store = await SqliteStore.open(freshPath(), { busyTimeout: 0 })
    await store.close()
  })

  it('waits busyTimeout ms for another connection’s write lock, then rejects with StoreUnavailableError', async () => {
    const path = freshPath()
    const impatient = await SqliteStore.open(path, { busyTimeout: 0 })
    const patient = await SqliteStore.open(path, { busyTimeout: 150 })
    const holder = new Database(path)
    try {
      holder.exec('BEGIN IMMEDIATE') // the write lock, held until ROLLBACK
      for (const [store, atLeast] of [[impatient, 0], [patient, 150]] as const) {
        const started = performance.now()
        const error = await store.append('a', [{ type: 't', payload: 1 }], 0).catch((e: unknown) => e)
        const waited = performance.now() - started
        expect(error).toBeInstanceOf(StoreUnavailableError)
        expect((error as StoreUnavailableError).cause).toMatchObject({ code: 'SQLITE_BUSY' })
        expect(waited).toBeGreaterThanOrEqual(atLeast)
        if (atLeast === 0) expect(waited).toBeLessThan(150) // no wait at all: well under the other's
      }
      holder.exec('ROLLBACK')
      expect(await patient.append('a', [{ type: 't', payload: 1 }], 0)).toBe(1)
    } finally {
      holder.close()
      await Promise.all([impatient.close(), patient.close()])
    }
  })

  it('opens an in-memory database, which keeps its own journal mode instead of WAL', async () => {
    const store = await SqliteStore.open(':memory:')
    try {
      await store.append('a', [{ type: 't', payload: 1 }], 0)
      expect(await store.lastSeq('a')).toBe(1)
    } finally {
      await store.close()
    }
  })
})

describe('SqliteStore answers', () => {
  it('names readPayloads in its option errors', async () => {
    const store = await SqliteStore.open(freshPath())
    try {
      const error = await store.readPayloads('a', { fromSeq: 0 }).catch((e: unknown) => e)
      expect(error).toMatchObject({ option: 'readPayloads.fromSeq' })
    } finally {
      await store.close()
    }
  })

  it('lists ids and snapshots in UTF-16 code unit order, not the UTF-8 byte order SQLite compares in', async () => {
    const store = await SqliteStore.open(freshPath())
    try {
      // U+FFFF sorts before U+1F600 in UTF-8 bytes (EF BF BF < F0 9F 98 80), after it in UTF-16 (FFFF > D83D).
      for (const id of ['\u{1F600}', '\uFFFF', 'b', 'a']) await store.saveSnapshot(id, { seq: 1, data: id })
      await store.append('\u{1F600}x', [{ type: 't', payload: 1 }], 0)
      await store.append('\uFFFFx', [{ type: 't', payload: 1 }], 0)
      expect(await store.listIds()).toEqual(['a', 'b', '\u{1F600}', '\u{1F600}x', '\uFFFF', '\uFFFFx'])
      expect((await store.listSnapshots()).map((s) => s.id)).toEqual(['a', 'b', '\u{1F600}', '\uFFFF'])
    } finally {
      await store.close()
    }
  })
})
