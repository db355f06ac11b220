import type { Database, Statement, Transaction } from 'better-sqlite3'
import { InvalidOptionError } from '../shared/errors'
import { readOptions } from '../shared/validate'
import { byId, decodeEvent, decodePayloadColumns, decodeSnapshot, decodeSnapshotInfo, decodeTagPage, EVENT_COLUMNS, payloadOf, type EventRow, type SnapshotRow } from './codec'
import { StoreUnavailableError } from './errors'
import type {
  AppendRequest,
  KeeperStore,
  ListSnapshotsOptions,
  NewEvent,
  NewSnapshot,
  PayloadRecord,
  ReadOptions,
  StoredEvent,
  SnapshotInfo,
  StoredSnapshot,
  TagPage,
  TagQueryOptions
} from './KeeperStore'
import {
  admitSnapshot,
  checkName,
  encodeAppend,
  encodeBatch,
  encodeSnapshot,
  guard,
  loadDriver,
  planAppends,
  readPrefix,
  readRange,
  type EncodedRequest,
  type EncodedSnapshot
} from './requests'

const NAME = 'SqliteStore'

/** How hard SQLite works to make a commit durable (its `synchronous` pragma). */
export type SqliteSynchronous = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA'

/** Options of `SqliteStore.open`. */
export interface SqliteStoreOptions {
  /**
   * `FULL` (the default): an acknowledged append survives the process being
   * killed and the machine losing power. `NORMAL`: faster (no fsync per
   * commit in WAL mode); survives the process being killed, but a power cut
   * may lose the last commits. `EXTRA` adds an fsync of the directory;
   * `OFF` leaves durability to the OS (for tests).
   */
  readonly synchronous?: SqliteSynchronous
  /** How long a write waits for another connection's write lock, in ms. Default 5000. */
  readonly busyTimeout?: number
}

// STRICT tables, so a column holds only its declared type: damage can only
// hide in the JSON text columns, which the codec checks on every read.
// AUTOINCREMENT, so a position is never reused after a delete (a tag reader
// keeping `next` must not miss a new event given an old position).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS keepsake_events (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL,
  version INTEGER NOT NULL, tags TEXT NOT NULL, at REAL NOT NULL,
  UNIQUE (id, seq)
) STRICT;
CREATE TABLE IF NOT EXISTS keepsake_journals (id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keepsake_tags (tag TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (tag, position)) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keepsake_snapshots (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL, at REAL NOT NULL
) STRICT;
`

/**
 * A durable store in one SQLite file (better-sqlite3), the embedded default.
 * WAL mode; each append or batch is one transaction, committed with an fsync
 * (`synchronous: 'FULL'`) before it resolves, so an acknowledged append
 * survives `kill -9` and a power cut. Several processes may open the same
 * file: writes take SQLite's write lock (waiting up to `busyTimeout`), so
 * sequence checks and positions stay exact across them. Calls run
 * synchronously inside the returned promise (better-sqlite3 is synchronous).
 */
export class SqliteStore implements KeeperStore {
  readonly #db: Database
  readonly #sql: ReturnType<typeof prepare>
  readonly #writeTransaction: Transaction<(requests: readonly EncodedRequest[]) => number[]>
  readonly #deleteTransaction: Transaction<(id: string) => boolean>
  readonly #snapshotTransaction: Transaction<(id: string, snapshot: EncodedSnapshot) => boolean>
  #closed = false

  private constructor(db: Database) {
    this.#db = db
    this.#sql = prepare(db)
    this.#writeTransaction = db.transaction((requests) => this.#write(requests))
    this.#deleteTransaction = db.transaction((id) => {
      this.#sql.deleteTags.run(id)
      this.#sql.deleteEvents.run(id)
      const journals = this.#sql.deleteJournal.run(id).changes
      return journals + this.#sql.deleteSnapshot.run(id).changes > 0
    })
    // The kept snapshot's seq is read under the write lock, so a fenced write's check holds until it commits.
    this.#snapshotTransaction = db.transaction((id, s) => {
      if (!admitSnapshot(id, s, this.#sql.snapshotSeq.get(id) as number | undefined)) return false
      this.#sql.saveSnapshot.run(id, s.seq, s.version, s.data, s.at)
      return true
    })
  }

  /**
   * Opens (creating if absent) the store in the file at `path`. Rejects with
   * `StoreUnavailableError` if the file can't be opened, and with
   * `InvalidOptionError` for bad options, `MissingDriverError` if the optional
   * peer dependency `better-sqlite3` can't be loaded (it is loaded here, not
   * when keepsake is imported).
   */
  static async open(path: string, options?: SqliteStoreOptions): Promise<SqliteStore> {
    if (typeof path !== 'string' || path.length === 0) throw new InvalidOptionError('path', 'a file path', path)
    const o = readOptions(options, 'SqliteStore.open options')
    const synchronous = o.synchronous ?? 'FULL'
    if (!['OFF', 'NORMAL', 'FULL', 'EXTRA'].includes(synchronous as string)) {
      throw new InvalidOptionError('synchronous', "'OFF', 'NORMAL', 'FULL' or 'EXTRA'", synchronous)
    }
    const busyTimeout = o.busyTimeout ?? 5000
    if (!Number.isSafeInteger(busyTimeout) || (busyTimeout as number) < 0) {
      throw new InvalidOptionError('busyTimeout', 'an integer number of ms >= 0', busyTimeout)
    }
    const { default: Driver } = await loadDriver(NAME, 'better-sqlite3', () => import('better-sqlite3'))
    let db: Database | undefined
    try {
      db = new Driver(path)
      db.pragma(`busy_timeout = ${busyTimeout as number}`)
      // SQLite answers with the mode it could set; an in-memory database can't do WAL.
      const mode: unknown = db.pragma('journal_mode = WAL', { simple: true })
      if (mode !== 'wal' && path !== ':memory:') throw new Error(`SQLite kept journal_mode ${String(mode)} instead of WAL`)
      db.pragma(`synchronous = ${synchronous as string}`)
      db.exec(SCHEMA)
      return new SqliteStore(db)
    } catch (error) {
      db?.close()
      throw new StoreUnavailableError(NAME, `open of ${JSON.stringify(path)}`, error)
    }
  }

  /** See `KeeperStore.append`. */
  append(id: string, events: readonly NewEvent[], expectedSeq: number): Promise<number> {
    return guard(NAME, 'append', this.#closed, () => this.#writeTransaction.immediate([encodeAppend(id, events, expectedSeq, Date.now())])[0]!)
  }

  /** See `KeeperStore.appendBatch`. */
  appendBatch(requests: readonly AppendRequest[]): Promise<number[]> {
    return guard(NAME, 'appendBatch', this.#closed, () => this.#writeTransaction.immediate(encodeBatch(requests, Date.now())))
  }

  /** See `KeeperStore.read`. */
  read(id: string, options?: ReadOptions): Promise<StoredEvent[]> {
    return guard(NAME, 'read', this.#closed, () => {
      checkName(id, 'id')
      const { start, limit } = readRange(options, 'read', 'fromSeq', 1)
      return (this.#sql.read.all(id, start, limit ?? -1) as EventRow[]).map(decodeEvent)
    })
  }

  /** See `KeeperStore.readPayloads`. */
  readPayloads(id: string, options?: ReadOptions): Promise<PayloadRecord[]> {
    return guard(NAME, 'readPayloads', this.#closed, async () => {
      checkName(id, 'id')
      const { start, limit } = readRange(options, 'readPayloads', 'fromSeq', 1)
      const page = this.#sql.readPayloads.get(id, start, limit ?? -1) as unknown[] | undefined
      return decodePayloadColumns(page) ?? (await this.read(id, options)).map(payloadOf)
    })
  }

  /** See `KeeperStore.lastSeq`. */
  lastSeq(id: string): Promise<number> {
    return guard(NAME, 'lastSeq', this.#closed, () => this.#lastSeq(checkName(id, 'id')))
  }

  /** See `KeeperStore.saveSnapshot`. */
  saveSnapshot(id: string, snapshot: NewSnapshot): Promise<boolean> {
    return guard(NAME, 'saveSnapshot', this.#closed, () => {
      checkName(id, 'id')
      return this.#snapshotTransaction.immediate(id, encodeSnapshot(snapshot, Date.now()))
    })
  }

  /** See `KeeperStore.loadSnapshot`. */
  loadSnapshot(id: string): Promise<StoredSnapshot | undefined> {
    return guard(NAME, 'loadSnapshot', this.#closed, () => {
      const row = this.#sql.loadSnapshot.get(checkName(id, 'id')) as SnapshotRow | undefined
      return row === undefined ? undefined : decodeSnapshot(row)
    })
  }

  /** See `KeeperStore.queryByTag`. */
  queryByTag(tag: string, options?: TagQueryOptions): Promise<TagPage> {
    return guard(NAME, 'queryByTag', this.#closed, () => {
      checkName(tag, 'tag')
      const { start, limit } = readRange(options, 'queryByTag', 'from', 0)
      return decodeTagPage(this.#sql.queryByTag.all(tag, start, limit ?? -1) as EventRow[], start)
    })
  }

  /** See `KeeperStore.delete`. */
  delete(id: string): Promise<boolean> {
    return guard(NAME, 'delete', this.#closed, () => {
      return this.#deleteTransaction.immediate(checkName(id, 'id'))
    })
  }

  /** See `KeeperStore.listIds`. */
  listIds(): Promise<string[]> {
    return guard(NAME, 'listIds', this.#closed, () => (this.#sql.listIds.all() as string[]).sort())
  }

  /** See `KeeperStore.listSnapshots`. */
  listSnapshots(options?: ListSnapshotsOptions): Promise<SnapshotInfo[]> {
    return guard(NAME, 'listSnapshots', this.#closed, () => {
      const rows = this.#sql.listSnapshots.all({ prefix: readPrefix(options) }) as Omit<SnapshotRow, 'data'>[]
      return rows.map((row) => decodeSnapshotInfo(row)).sort(byId)
    })
  }

  /** See `KeeperStore.close`. Closes the database file. */
  async close(): Promise<void> {
    this.#closed = true
    this.#db.close() // better-sqlite3's close does nothing once closed
  }

  #lastSeq(id: string): number {
    return (this.#sql.lastSeq.get(id) as number | undefined) ?? 0
  }

  /**
   * Runs in one IMMEDIATE transaction (as every write here): it takes the
   * write lock before reading the journals' ends, so another connection
   * can't slip an append in between.
   */
  #write(requests: readonly EncodedRequest[]): number[] {
    const plan = planAppends(requests, (id) => this.#lastSeq(id))
    for (const { id, firstSeq, events } of plan.appends) {
      events.forEach((e, i) => {
        const position = this.#sql.insertEvent.run(id, firstSeq + i, e.type, e.payload, e.version, e.tagsJson, e.at).lastInsertRowid
        for (const tag of e.tags) this.#sql.insertTag.run(tag, position)
      })
    }
    for (const [id, lastSeq] of plan.finalSeqs) this.#sql.setLastSeq.run(id, lastSeq)
    return plan.lastSeqs
  }
}

/** The store's statements, prepared once. */
function prepare(db: Database): Record<
  | 'insertEvent'
  | 'insertTag'
  | 'setLastSeq'
  | 'lastSeq'
  | 'read'
  | 'readPayloads'
  | 'queryByTag'
  | 'saveSnapshot'
  | 'snapshotSeq'
  | 'loadSnapshot'
  | 'deleteTags'
  | 'deleteEvents'
  | 'deleteJournal'
  | 'deleteSnapshot'
  | 'listIds'
  | 'listSnapshots',
  Statement
> {
  return {
    insertEvent: db.prepare(
      'INSERT INTO keepsake_events (id, seq, type, payload, version, tags, at) VALUES (?, ?, ?, ?, ?, ?, ?)'
    ),
    insertTag: db.prepare('INSERT INTO keepsake_tags (tag, position) VALUES (?, ?)'),
    setLastSeq: db.prepare(
      'INSERT INTO keepsake_journals (id, last_seq) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq'
    ),
    lastSeq: db.prepare('SELECT last_seq FROM keepsake_journals WHERE id = ?').pluck(),
    // Raw mode: rows as arrays in EVENT_COLUMNS order (see EventRow).
    read: db.prepare(`SELECT ${EVENT_COLUMNS} FROM keepsake_events WHERE id = ? AND seq >= ? ORDER BY seq LIMIT ?`).raw(),
    // A whole page as aggregates (see decodePayloadColumns): building a row per
    // event costs more than replaying it, and so does a text per event (seq,
    // version and payload joined: ~30% more SQL and parse than a column of
    // each). The page's version is its lowest and highest: one for all but a
    // page written across a migration. The aggregates take the ordered
    // subquery's rows as they come: an ORDER BY inside group_concat would sort
    // the page again (half the query's time); decodePayloadColumns checks the order.
    readPayloads: db.prepare(
      `SELECT max(length(payload)), min(version), max(version), '[' || group_concat(seq) || ']', '[' || group_concat(payload, ',') || ']'
       FROM (SELECT seq, version, payload FROM keepsake_events WHERE id = ? AND seq >= ? ORDER BY seq LIMIT ?)`
    ).raw(),
    queryByTag: db
      .prepare(
        `SELECT ${EVENT_COLUMNS} FROM keepsake_events WHERE position IN ` +
          '(SELECT position FROM keepsake_tags WHERE tag = ? AND position >= ? ORDER BY position LIMIT ?) ORDER BY position'
      )
      .raw(),
    // Runs only once admitSnapshot has decided, in the same transaction.
    saveSnapshot: db.prepare(
      'INSERT INTO keepsake_snapshots (id, seq, version, data, at) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, version = excluded.version, data = excluded.data, at = excluded.at'
    ),
    snapshotSeq: db.prepare('SELECT seq FROM keepsake_snapshots WHERE id = ?').pluck(),
    loadSnapshot: db.prepare('SELECT id, seq, version, data, at FROM keepsake_snapshots WHERE id = ?'),
    deleteTags: db.prepare(
      'DELETE FROM keepsake_tags WHERE position IN (SELECT position FROM keepsake_events WHERE id = ?)'
    ),
    deleteEvents: db.prepare('DELETE FROM keepsake_events WHERE id = ?'),
    deleteJournal: db.prepare('DELETE FROM keepsake_journals WHERE id = ?'),
    deleteSnapshot: db.prepare('DELETE FROM keepsake_snapshots WHERE id = ?'),
    listIds: db.prepare('SELECT id FROM keepsake_journals UNION SELECT id FROM keepsake_snapshots').pluck(),
    // substr, not LIKE: the prefix is literal ('%' and '_' are plain characters in an id).
    listSnapshots: db.prepare('SELECT id, seq, version, at FROM keepsake_snapshots WHERE substr(id, 1, length(@prefix)) = @prefix')
  }
}
