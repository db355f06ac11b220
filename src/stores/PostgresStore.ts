import type { Pool, PoolClient, PoolConfig, QueryConfig } from 'pg'
import { InvalidOptionError } from '../shared/errors'
import { sha256 } from '../shared/sha256'
import { readOptions } from '../shared/validate'
import { byId, decodeEvent, decodePayloadPage, decodeSnapshot, decodeSnapshotInfo, decodeTagPage, EVENT_COLUMNS, payloadOf, type EventRow, type SnapshotRow } from './codec'
import { SnapshotConflictError, StoreUnavailableError } from './errors'
import { GroupCommit } from './groupCommit'
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
  checkName,
  encodeAppend,
  encodeBatch,
  encodeSnapshot,
  guard,
  loadDriver,
  planAppends,
  planEach,
  readPrefix,
  readRange,
  type EncodedRequest,
  type Plan,
  type PlannedAppend
} from './requests'

const NAME = 'PostgresStore'

/** Options of `PostgresStore.open`: a pool of yours, or a config for one the store makes. */
export interface PostgresStoreOptions {
  /**
   * A node-postgres pool you made and own: the store never ends it. Give it
   * an 'error' listener (node-postgres emits one when an idle connection
   * dies, e.g. the server restarts, and an unheard one ends the process).
   */
  readonly pool?: Pool
  /**
   * The config of a pool the store makes (and ends on `close`), e.g.
   * `{ connectionString }` or `{ host, port, user, password, database }`.
   * `connectionTimeoutMillis` defaults to 10000 so an unreachable server
   * fails a call instead of hanging it.
   */
  readonly config?: PoolConfig
  /** The PostgreSQL schema to keep the tables in, created if absent. Default `public`. */
  readonly schema?: string
}

/**
 * A durable store on a PostgreSQL server (node-postgres, with a pool), for
 * production. Creates its tables if absent. Each batch is one transaction,
 * and so is each group of concurrent appends (see `append`); writes take one row lock (the global position counter) so
 * positions are assigned and committed in the same order, which is what
 * makes `queryByTag`'s `next` safe to resume from. Reads don't take it.
 *
 * When the server can't be reached or drops a connection, calls reject with
 * `StoreUnavailableError`; the pool replaces broken connections, so once the
 * server is back the same store goes on working, with every acknowledged
 * append intact (it was committed before the call resolved).
 */
export class PostgresStore implements KeeperStore {
  readonly #pool: Pool
  readonly #ownsPool: boolean
  readonly #sql: PostgresSql
  /** `append`'s group commit (see `append`). */
  readonly #appends = new GroupCommit<EncodedRequest, number>(async (requests) => (await this.#write(requests, (lastSeqOf) => planEach(requests, lastSeqOf))).outcomes)
  #closed = false

  private constructor(pool: Pool, ownsPool: boolean, sql: PostgresSql) {
    this.#pool = pool
    this.#ownsPool = ownsPool
    this.#sql = sql
  }

  /**
   * Connects and creates the schema and tables if absent. Rejects with
   * `StoreUnavailableError` if the server can't be reached or refuses (no
   * connection is left open), `InvalidOptionError` for bad options, `MissingDriverError` if
   * it must make the pool and the optional peer dependency `pg` can't be
   * loaded (it is loaded here, not when keepsake is imported).
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const o = readOptions(options, 'PostgresStore.open options')
    const schema = o.schema ?? 'public'
    if (typeof schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new InvalidOptionError('schema', 'a plain identifier (letters, digits, _; at most 63)', schema)
    }
    if ((o.pool === undefined) === (o.config === undefined)) {
      throw new InvalidOptionError('pool / config', 'exactly one of them', options)
    }
    const pool = (o.pool as Pool | undefined) ?? (await makePool(o.config as PoolConfig))
    const sql = postgresSql(schema)
    try {
      await pool.query(sql.createSchema)
    } catch (error) {
      // Nothing to end: a pool destroys the connection a failed query ran on.
      throw new StoreUnavailableError(NAME, 'open', error)
    }
    return new PostgresStore(pool, o.pool === undefined, sql)
  }

  /**
   * See `KeeperStore.append`. Concurrent appends are group-committed: those
   * made while one transaction is in flight go together in the next (each
   * checked on its own, a conflict failing only its own), so many writers
   * don't queue one transaction each on the position counter's lock.
   */
  append(id: string, events: readonly NewEvent[], expectedSeq: number): Promise<number> {
    return guard(NAME, 'append', this.#closed, () => this.#appends.submit(encodeAppend(id, events, expectedSeq, Date.now())))
  }

  /** See `KeeperStore.appendBatch`. */
  appendBatch(requests: readonly AppendRequest[]): Promise<number[]> {
    return guard(NAME, 'appendBatch', this.#closed, async () => {
      const encoded = encodeBatch(requests, Date.now())
      return (await this.#write(encoded, (lastSeqOf) => planAppends(encoded, lastSeqOf))).lastSeqs
    })
  }

  /** See `KeeperStore.read`. */
  read(id: string, options?: ReadOptions): Promise<StoredEvent[]> {
    return guard(NAME, 'read', this.#closed, async () => {
      checkName(id, 'id')
      const { start, limit } = readRange(options, 'read', 'fromSeq', 1)
      return (await this.#selectEvents(this.#sql.read, [id, start, limit ?? null])).map(decodeEvent)
    })
  }

  /** See `KeeperStore.readPayloads`. */
  readPayloads(id: string, options?: ReadOptions): Promise<PayloadRecord[]> {
    return guard(NAME, 'readPayloads', this.#closed, async () => {
      checkName(id, 'id')
      const { start, limit } = readRange(options, 'readPayloads', 'fromSeq', 1)
      const { rows } = await this.#pool.query({ ...this.#sql.readPayloads, values: [id, start, limit ?? null], rowMode: 'array' })
      const [longest, page] = (rows[0] ?? []) as [unknown, unknown]
      return decodePayloadPage(page, longest) ?? (await this.read(id, options)).map(payloadOf)
    })
  }

  /** See `KeeperStore.lastSeq`. */
  lastSeq(id: string): Promise<number> {
    return guard(NAME, 'lastSeq', this.#closed, async () => {
      const { rows } = await this.#pool.query<{ last_seq: string }>({ ...this.#sql.lastSeqs, values: [[checkName(id, 'id')]] })
      return rows.length === 0 ? 0 : Number(rows[0]!.last_seq)
    })
  }

  /** See `KeeperStore.saveSnapshot`. */
  saveSnapshot(id: string, snapshot: NewSnapshot): Promise<boolean> {
    return guard(NAME, 'saveSnapshot', this.#closed, async () => {
      checkName(id, 'id')
      const s = encodeSnapshot(snapshot, Date.now())
      const values = [id, s.seq, s.version, s.data, s.at]
      if (s.expectedSeq === undefined) return (await this.#pool.query({ ...this.#sql.saveSnapshot, values })).rowCount === 1
      // A fenced write is one conditional statement: a concurrent one waits for this row's lock and then sees the new seq.
      const fenced = s.expectedSeq === null ? this.#sql.createSnapshot : this.#sql.replaceSnapshot
      const { rowCount } = await this.#pool.query({ ...fenced, values: s.expectedSeq === null ? values : [...values, s.expectedSeq] })
      if (rowCount === 1) return true
      const { rows } = await this.#pool.query<{ seq: string }>({ ...this.#sql.snapshotSeq, values: [id] })
      throw new SnapshotConflictError(id, s.expectedSeq, rows.length === 0 ? null : Number(rows[0]!.seq))
    })
  }

  /** See `KeeperStore.loadSnapshot`. */
  loadSnapshot(id: string): Promise<StoredSnapshot | undefined> {
    return guard(NAME, 'loadSnapshot', this.#closed, async () => {
      const { rows } = await this.#pool.query<SnapshotRow>({ ...this.#sql.loadSnapshot, values: [checkName(id, 'id')] })
      return rows.length === 0 ? undefined : decodeSnapshot(rows[0]!)
    })
  }

  /** See `KeeperStore.queryByTag`. */
  queryByTag(tag: string, options?: TagQueryOptions): Promise<TagPage> {
    return guard(NAME, 'queryByTag', this.#closed, async () => {
      checkName(tag, 'tag')
      const { start, limit } = readRange(options, 'queryByTag', 'from', 0)
      return decodeTagPage(await this.#selectEvents(this.#sql.queryByTag, [tag, start, limit ?? null]), start)
    })
  }

  /** See `KeeperStore.delete`. */
  delete(id: string): Promise<boolean> {
    return guard(NAME, 'delete', this.#closed, () => {
      checkName(id, 'id')
      return this.#transaction(async (client) => {
        await client.query(this.#sql.lockWrites)
        const { rows } = await client.query<{ deleted: boolean }>({ ...this.#sql.delete, values: [id] })
        return rows[0]!.deleted
      })
    })
  }

  /** See `KeeperStore.listIds`. */
  listIds(): Promise<string[]> {
    return guard(NAME, 'listIds', this.#closed, async () => {
      const { rows } = await this.#pool.query<{ id: string }>(this.#sql.listIds)
      return rows.map((row) => row.id).sort()
    })
  }

  /** See `KeeperStore.listSnapshots`. */
  listSnapshots(options?: ListSnapshotsOptions): Promise<SnapshotInfo[]> {
    return guard(NAME, 'listSnapshots', this.#closed, async () => {
      const { rows } = await this.#pool.query<Omit<SnapshotRow, 'data'>>({ ...this.#sql.listSnapshots, values: [readPrefix(options)] })
      return rows.map((row) => decodeSnapshotInfo(row)).sort(byId)
    })
  }

  /** See `KeeperStore.close`. Ends the pool if the store made it. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#ownsPool) await this.#pool.end()
  }

  /** Runs an event SELECT, rows as arrays (see `EventRow`). */
  async #selectEvents(statement: Statement, values: unknown[]): Promise<EventRow[]> {
    const { rows } = await this.#pool.query({ ...statement, values, rowMode: 'array' })
    return rows as unknown as EventRow[]
  }

  /**
   * One transaction. It first advances the position counter, which locks
   * its row until commit: appends are serialized, so the journals' ends it
   * reads next are exact and positions commit in increasing order.
   */
  #write<P extends Omit<Plan, 'lastSeqs'>>(requests: readonly EncodedRequest[], planned: (lastSeqOf: (id: string) => number) => P): Promise<P> {
    const eventCount = requests.reduce((n, r) => n + r.events.length, 0)
    const ids = [...new Set(requests.map((r) => r.id))]
    return this.#transaction(async (client) => {
      const counter = await client.query<{ position: string }>({ ...this.#sql.advancePositions, values: [eventCount] })
      const { rows } = await client.query<{ id: string; last_seq: string }>({ ...this.#sql.lastSeqs, values: [ids] })
      const ends = new Map(rows.map((row) => [row.id, Number(row.last_seq)]))
      const plan = planned((id) => ends.get(id) ?? 0)
      // An empty append (only a check of expectedSeq) inserts no rows: its arrays are empty. A group's
      // conflicting requests insert none either: their positions are a gap at the end (gaps are allowed).
      await client.query({ ...this.#sql.insert, values: insertParameters(plan.appends, Number(counter.rows[0]!.position) - eventCount, plan.finalSeqs) })
      return plan
    })
  }

  /**
   * Runs `body` between BEGIN and COMMIT on one pooled connection (ROLLBACK
   * if it throws). A connection that broke is not reused: node-postgres marks
   * it unusable, and the pool destroys such a connection when it is released,
   * so the next call gets a fresh one.
   */
  async #transaction<T>(body: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect()
    // node-postgres emits 'error' on a checked-out connection that dies
    // between queries; unheard, it would end the process. The query in
    // flight (or the next) rejects with the reason.
    client.on('error', ignore)
    try {
      await client.query('BEGIN')
      const result = await body(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(ignore) // fails only on a connection that broke
      throw error
    } finally {
      client.off('error', ignore)
      client.release()
    }
  }
}

/** The parameters of `PostgresSql.insert`: one array per column, as unnest takes them. */
function insertParameters(
  appends: readonly PlannedAppend[],
  base: number,
  finalSeqs: ReadonlyMap<string, number>
): unknown[] {
  const columns: unknown[][] = [[], [], [], [], [], [], [], [], [], []]
  const [positions, ids, seqs, types, payloads, versions, tags, ats, tagNames, tagPositions] = columns as [
    number[], string[], number[], string[], string[], number[], string[], number[], string[], number[]
  ]
  let position = base
  for (const { id, firstSeq, events } of appends) {
    events.forEach((e, i) => {
      position++
      positions.push(position)
      ids.push(id)
      seqs.push(firstSeq + i)
      types.push(e.type)
      payloads.push(e.payload)
      versions.push(e.version)
      tags.push(e.tagsJson)
      ats.push(e.at)
      for (const tag of e.tags) {
        tagNames.push(tag)
        tagPositions.push(position)
      }
    })
  }
  return [...columns, [...finalSeqs.keys()], [...finalSeqs.values()]]
}

/** The error listener of a connection whose errors reach the caller by another way (its query's rejection). */
function ignore(): void {}

async function makePool(config: PoolConfig): Promise<Pool> {
  const { Pool } = await loadDriver(NAME, 'pg', () => import('pg'))
  const pool = new Pool({ connectionTimeoutMillis: 10_000, ...config })
  // An idle connection dies when the server goes away; the pool drops it and
  // the next call reports the outage. Without a listener it would end the process.
  pool.on('error', ignore)
  return pool
}

/** A statement, named so that each connection prepares it once. */
type Statement = Pick<QueryConfig, 'name' | 'text'>

type PostgresSql = ReturnType<typeof postgresSql>

/** The store's SQL for the tables in `schema` (an identifier checked by `open`). */
function postgresSql(schema: string) {
  const table = (name: string) => `"${schema}".keepsake_${name}`
  const [events, journals, tags, snapshots, positions] = ['events', 'journals', 'tags', 'snapshots', 'positions'].map(table)
  // '#' is in no schema's name, so a hashed statement name never equals a plain one.
  const hashed = `#${sha256(schema).slice(0, 24)}`
  const statement = (name: string, text: string): Statement => {
    const plain = `keepsake_${schema}_${name}`
    // The server cuts a statement's name at 63 bytes, and two names cut alike collide on a connection.
    return { name: plain.length <= 63 ? plain : `keepsake_${hashed}_${name}`, text }
  }
  return {
    // One implicit transaction (a multi-statement query), under an advisory
    // lock: two processes creating the same tables at once would collide.
    // JSON is kept as text, not jsonb: the codec decides the bytes (key order
    // survives), and damaged text is reported as CorruptRecordError.
    createSchema: `
      SELECT pg_advisory_xact_lock(hashtext('keepsake schema'));
      ${schema === 'public' ? '' : `CREATE SCHEMA IF NOT EXISTS "${schema}";`}
      CREATE TABLE IF NOT EXISTS ${events} (
        position bigint PRIMARY KEY, id text NOT NULL, seq bigint NOT NULL, type text NOT NULL,
        payload text NOT NULL, version integer NOT NULL, tags text NOT NULL, at double precision NOT NULL,
        UNIQUE (id, seq));
      CREATE TABLE IF NOT EXISTS ${journals} (id text PRIMARY KEY, last_seq bigint NOT NULL);
      CREATE TABLE IF NOT EXISTS ${tags} (tag text NOT NULL, position bigint NOT NULL, PRIMARY KEY (tag, position));
      CREATE TABLE IF NOT EXISTS ${snapshots} (
        id text PRIMARY KEY, seq bigint NOT NULL, version integer NOT NULL, data text NOT NULL, at double precision NOT NULL);
      CREATE TABLE IF NOT EXISTS ${positions} (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), last bigint NOT NULL);
      INSERT INTO ${positions} (last) VALUES (0) ON CONFLICT DO NOTHING;`,
    // The counter's row lock serializes writers until their commit.
    advancePositions: statement('advance', `UPDATE ${positions} SET last = last + $1 RETURNING last AS position`),
    lockWrites: statement('lock', `SELECT last FROM ${positions} FOR UPDATE`),
    lastSeqs: statement('last_seqs', `SELECT id, last_seq FROM ${journals} WHERE id = ANY($1::text[])`),
    insert: statement(
      'insert',
      `WITH new_events AS (
         INSERT INTO ${events} (position, id, seq, type, payload, version, tags, at)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::text[], $8::float8[])
       ), new_tags AS (
         INSERT INTO ${tags} (tag, position) SELECT * FROM unnest($9::text[], $10::bigint[])
       )
       INSERT INTO ${journals} (id, last_seq) SELECT * FROM unnest($11::text[], $12::bigint[])
       ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq`
    ),
    // Both return rows as arrays in EVENT_COLUMNS order (rowMode 'array', see EventRow).
    read: statement('read', `SELECT ${EVENT_COLUMNS} FROM ${events} WHERE id = $1 AND seq >= $2 ORDER BY seq LIMIT $3`),
    // A whole page as one JSON text (see decodePayloadPage).
    readPayloads: statement(
      'read_payloads',
      `SELECT max(length(payload)), '[' || string_agg(seq || ',' || version || ',' || payload, ',' ORDER BY seq) || ']'
       FROM (SELECT seq, version, payload FROM ${events} WHERE id = $1 AND seq >= $2 ORDER BY seq LIMIT $3) AS page`
    ),
    queryByTag: statement(
      'query_by_tag',
      `SELECT ${EVENT_COLUMNS} FROM ${events} WHERE position IN
       (SELECT position FROM ${tags} WHERE tag = $1 AND position >= $2 ORDER BY position LIMIT $3) ORDER BY position`
    ),
    // The WHERE makes an older snapshot a no-op (rowCount 0): a late write never replaces a newer one.
    saveSnapshot: statement(
      'save_snapshot',
      `INSERT INTO ${snapshots} AS kept (id, seq, version, data, at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, version = excluded.version, data = excluded.data, at = excluded.at
       WHERE excluded.seq >= kept.seq`
    ),
    createSnapshot: statement(
      'create_snapshot',
      `INSERT INTO ${snapshots} (id, seq, version, data, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`
    ),
    replaceSnapshot: statement(
      'replace_snapshot',
      `UPDATE ${snapshots} SET seq = $2, version = $3, data = $4, at = $5 WHERE id = $1 AND seq = $6`
    ),
    snapshotSeq: statement('snapshot_seq', `SELECT seq FROM ${snapshots} WHERE id = $1`),
    loadSnapshot: statement('load_snapshot', `SELECT id, seq, version, data, at FROM ${snapshots} WHERE id = $1`),
    // Data-modifying CTEs all run, to completion, on the same snapshot: the
    // tags' positions are found before their events are deleted.
    delete: statement(
      'delete',
      `WITH gone_tags AS (DELETE FROM ${tags} WHERE position IN (SELECT position FROM ${events} WHERE id = $1)),
       gone_events AS (DELETE FROM ${events} WHERE id = $1),
       gone_journal AS (DELETE FROM ${journals} WHERE id = $1 RETURNING 1),
       gone_snapshot AS (DELETE FROM ${snapshots} WHERE id = $1 RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM gone_journal) OR EXISTS (SELECT 1 FROM gone_snapshot) AS deleted`
    ),
    listIds: statement('list_ids', `SELECT id FROM ${journals} UNION SELECT id FROM ${snapshots}`),
    // left(), not LIKE: the prefix is literal ('%' and '_' are plain characters in an id).
    listSnapshots: statement('list_snapshots', `SELECT id, seq, version, at FROM ${snapshots} WHERE left(id, length($1::text)) = $1::text`)
  }
}
