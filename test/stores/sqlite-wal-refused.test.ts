import type BetterSqlite3 from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { StoreUnavailableError } from '../../src/stores/errors'
import { SqliteStore } from '../../src/stores/SqliteStore'

// A SQLite that keeps its rollback journal when asked for WAL, as one on a VFS without shared
// memory does: a local disk always grants WAL, so only a stand-in can refuse it.
vi.mock('better-sqlite3', async (importOriginal) => {
  const { default: Database } = await importOriginal<{ default: typeof BetterSqlite3 }>()
  function WithoutWal(path: string): BetterSqlite3.Database {
    const db = new Database(path)
    const pragma = db.pragma.bind(db)
    db.pragma = (source, options) => (source === 'journal_mode = WAL' ? (db.memory ? 'memory' : 'delete') : pragma(source, options))
    return db
  }
  return { default: WithoutWal }
})

const dir = mkdtempSync(join(tmpdir(), 'keepsake-sqlite-wal-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('SqliteStore on a SQLite that refuses WAL', () => {
  it('does not open a file, naming the journal mode SQLite kept; an in-memory database opens', async () => {
    const error = await SqliteStore.open(join(dir, 'a.db')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect(error).toMatchObject({ operation: `open of ${JSON.stringify(join(dir, 'a.db'))}`, cause: { message: 'SQLite kept journal_mode delete instead of WAL' } })
    const store = await SqliteStore.open(':memory:')
    expect(await store.append('a', [{ type: 't', payload: 1 }], 0)).toBe(1)
    await store.close()
  })
})
