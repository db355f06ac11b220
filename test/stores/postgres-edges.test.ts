import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../src/shared/errors'
import { StoreUnavailableError } from '../../src/stores/errors'
import { PostgresStore } from '../../src/stores/PostgresStore'
import { freePort } from '../support/ports'
import { startPostgres, type PostgresServer } from '../support/postgres'
import { expectBadInputNamed, expectClosedCallsNamed } from './call-names'

let server: PostgresServer
beforeAll(async () => {
  server = await startPostgres()
}, 60_000)
afterAll(async () => {
  await server?.stop()
})

/** Runs `sql` on the server as its superuser, behind any store's back. */
async function admin<T extends pg.QueryResultRow>(sql: string, database = 'postgres'): Promise<T[]> {
  const client = new pg.Client({ ...server.connection, database })
  await client.connect()
  try {
    return (await client.query<T>(sql)).rows
  } finally {
    await client.end()
  }
}

/**
 * The connections named `application_name` once they are gone, or after about
 * ten seconds: a closed connection's backend leaves pg_stat_activity as it
 * exits, just after its socket closes.
 */
async function connectionsLeft(application_name: string): Promise<number> {
  let left = await connections(application_name)
  for (let tries = 0; left > 0 && tries < 200; tries++) {
    await admin('SELECT pg_sleep(0.05)')
    left = await connections(application_name)
  }
  return left
}

/** How many connections named `application_name` the server has. */
async function connections(application_name: string): Promise<number> {
  return (await admin<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = '${application_name}'`))[0]!.n
}

async function openError(options: unknown): Promise<InvalidOptionError> {
  const error = await PostgresStore.open(options as never).then(
    (store) => store.close().then(() => expect.fail('expected open to reject')),
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(InvalidOptionError)
  return error as InvalidOptionError
}

describe('PostgresStore.open options', () => {
  it('takes a schema that is a plain identifier of at most 63 characters', async () => {
    for (const schema of ['_a', 'A9_z', `s${'x'.repeat(62)}`]) {
      const store = await PostgresStore.open({ config: server.connection, schema })
      try {
        expect(await store.append('a', [{ type: 't', payload: schema }], 0)).toBe(1)
        expect((await store.read('a'))[0]!.payload).toBe(schema)
      } finally {
        await store.close()
      }
    }
  })

  it('refuses any other schema, naming the option and what it must be', async () => {
    for (const schema of ['9a', `s${'x'.repeat(63)}`, 'a-b', 'a b', '', 'é', 5, 'a"b']) {
      const error = await openError({ config: server.connection, schema })
      expect(error).toMatchObject({ option: 'schema', message: expect.stringContaining('must be a plain identifier (letters, digits, _; at most 63);') })
    }
  })

  it('needs exactly one of pool and config, and options that are an object', async () => {
    const pool = new pg.Pool(server.connection)
    try {
      for (const options of [{}, { pool, config: server.connection }]) {
        expect(await openError(options)).toMatchObject({ option: 'pool / config', message: expect.stringContaining('must be exactly one of them;') })
      }
      expect((await openError('postgres://localhost')).option).toBe('PostgresStore.open options')
    } finally {
      await pool.end()
    }
  })

  it('keeps its tables in public by default, also for a role that may not create schemas', async () => {
    await admin('CREATE ROLE keeper LOGIN')
    await admin('CREATE DATABASE keeper_db')
    // PUBLIC may not create schemas in a database; the role gets only what its tables need.
    await admin('GRANT USAGE, CREATE ON SCHEMA public TO keeper', 'keeper_db')
    const store = await PostgresStore.open({ config: { ...server.connection, user: 'keeper', database: 'keeper_db' } })
    try {
      expect(await store.append('a', [{ type: 't', payload: 1 }], 0)).toBe(1)
    } finally {
      await store.close()
    }
    expect(await admin<{ n: number }>('SELECT count(*)::int AS n FROM public.keepsake_events', 'keeper_db')).toEqual([{ n: 1 }])
  })
})

describe('PostgresStore and its pool', () => {
  it('does not end a pool it was given, even when the server cannot be reached', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: await freePort(), user: 'postgres', database: 'postgres', connectionTimeoutMillis: 5000 })
    pool.on('error', () => undefined)
    try {
      const error = await PostgresStore.open({ pool }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(StoreUnavailableError)
      expect(error).toMatchObject({ store: 'PostgresStore', operation: 'open' })
      expect(pool.ending).toBe(false)
    } finally {
      await pool.end()
    }
  })

  it('ends the pool it made on close: its connections leave the server', async () => {
    const application_name = 'keepsake-own-pool'
    // Idle connections are kept a minute: only an ended pool lets them go within the wait below.
    const store = await PostgresStore.open({ config: { ...server.connection, application_name, idleTimeoutMillis: 60_000 }, schema: 'own_pool' })
    await Promise.all([store.append('a', [{ type: 't', payload: 1 }], 0), store.read('b'), store.lastSeq('c')])
    expect(await connections(application_name)).toBeGreaterThan(0)
    await store.close()
    expect(await connectionsLeft(application_name)).toBe(0)
  })

  it('ends the pool it made when open fails after connecting', async () => {
    const application_name = 'keepsake-failed-open'
    await admin('CREATE ROLE visitor LOGIN') // may connect, may not create tables in public
    const error = await PostgresStore.open({ config: { ...server.connection, user: 'visitor', application_name, idleTimeoutMillis: 60_000 } }).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'StoreUnavailableError', operation: 'open', message: expect.stringContaining('permission denied') })
    expect(await connectionsLeft(application_name)).toBe(0)
  })

  it('prepares each statement once per connection, under a name of its own schema that fits in 63 bytes, so stores on one pool never collide', async () => {
    const pool = new pg.Pool({ ...server.connection, max: 1 })
    // 'keepsake_' + schema + '_' + 'lock' is 63 characters for the second schema, 64 for the third.
    const schemas = ['named_a', `n${'x'.repeat(48)}`, `n${'x'.repeat(49)}`]
    try {
      const stores = await Promise.all(schemas.map((schema) => PostgresStore.open({ pool, schema })))
      for (const [i, store] of stores.entries()) {
        await store.append('a', [{ type: 't', payload: i, tags: ['x'] }], 0)
        expect(await store.lastSeq('a')).toBe(1)
        expect((await store.read('a'))[0]!.payload).toBe(i)
        expect((await store.readPayloads('a'))[0]!.payload).toBe(i)
        expect((await store.queryByTag('x')).events).toHaveLength(1)
        expect(await store.saveSnapshot('s', { seq: 1, data: i })).toBe(true)
        expect(await store.saveSnapshot('f', { seq: 1, data: i, expectedSeq: null })).toBe(true)
        expect(await store.saveSnapshot('f', { seq: 2, data: i, expectedSeq: 1 })).toBe(true)
        await expect(store.saveSnapshot('f', { seq: 3, data: i, expectedSeq: 1 })).rejects.toMatchObject({ actual: 2 })
        expect((await store.loadSnapshot('s'))!.data).toBe(i)
        expect(await store.listIds()).toEqual(['a', 'f', 's'])
        expect(await store.listSnapshots()).toHaveLength(2)
        expect(await store.delete('s')).toBe(true)
      }
      const names = ['advance', 'create_snapshot', 'delete', 'insert', 'last_seqs', 'list_ids', 'list_snapshots', 'load_snapshot', 'lock', 'query_by_tag', 'read', 'read_payloads', 'replace_snapshot', 'save_snapshot', 'snapshot_seq']
      const prepared = (await pool.query<{ name: string }>('SELECT name FROM pg_prepared_statements')).rows.map((row) => row.name)
      expect(prepared).toHaveLength(3 * names.length)
      for (const name of prepared) expect(name.length).toBeLessThanOrEqual(63)
      expect(prepared.filter((name) => name.startsWith('keepsake_named_a_')).sort()).toEqual(names.map((name) => `keepsake_named_a_${name}`))
      // A name that would be cut names its schema by a hash instead (one hash per schema).
      expect(prepared.filter((name) => name.startsWith(`keepsake_${schemas[1]}_`)).sort()).toEqual([`keepsake_${schemas[1]}_lock`, `keepsake_${schemas[1]}_read`])
      const hashes = new Set(prepared.flatMap((name) => /^keepsake_(#[\w-]{24})_/.exec(name)?.[1] ?? []))
      expect(hashes.size).toBe(2)
      expect(prepared.filter((name) => name.startsWith('keepsake_#'))).toHaveLength(2 * names.length - 2)
      await Promise.all(stores.map((store) => store.close()))
      expect(await pool.query('SELECT 1 AS one')).toMatchObject({ rows: [{ one: 1 }] })
    } finally {
      await pool.end()
    }
  })
})

describe('PostgresStore.delete beside an append', () => {
  it('waits for an append in flight, then deletes what it wrote too', async () => {
    const store = await PostgresStore.open({ config: { ...server.connection, application_name: 'keepsake-delete-race' }, schema: 'delete_race' })
    const writer = new pg.Client(server.connection)
    await writer.connect()
    try {
      await store.append('a', [{ type: 't', payload: 1 }], 0)
      // Another process's append of 'a' seq 2, as the store writes one, stopped before its commit.
      await writer.query('BEGIN')
      const { rows } = await writer.query<{ last: string }>('UPDATE delete_race.keepsake_positions SET last = last + 1 RETURNING last')
      await writer.query(
        `INSERT INTO delete_race.keepsake_events (position, id, seq, type, payload, version, tags, at) VALUES ($1, 'a', 2, 't', '2', 1, '[]', 0)`,
        [rows[0]!.last]
      )
      await writer.query(`UPDATE delete_race.keepsake_journals SET last_seq = 2 WHERE id = 'a'`)
      const deleting = store.delete('a')
      // The delete is under way once it waits on a lock the writer holds.
      const waiting = async () =>
        (await admin<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'keepsake-delete-race'`))[0]!.n
      for (let tries = 0; (await waiting()) === 0 && tries < 400; tries++) await admin('SELECT pg_sleep(0.05)')
      await writer.query('COMMIT')
      expect(await deleting).toBe(true)
      expect(await store.read('a')).toEqual([])
      expect(await store.lastSeq('a')).toBe(0)
      expect(await store.append('a', [{ type: 't', payload: 'new' }], 0)).toBe(1)
    } finally {
      await writer.end()
      await store.close()
    }
  })
})

describe('PostgresStore names each call in its errors', () => {
  it('a bad id, tag or read option, by the call that got it', async () => {
    const store = await PostgresStore.open({ config: server.connection, schema: 'call_names' })
    try {
      await expectBadInputNamed(store)
    } finally {
      await store.close()
    }
  })

  it('every call after close, with the store', async () => {
    await expectClosedCallsNamed(await PostgresStore.open({ config: server.connection, schema: 'call_names' }), 'PostgresStore')
  })
})

describe('PostgresStore transactions on a pooled connection', () => {
  it('returns the connection to the pool, drops one that broke mid-transaction, and goes on with a fresh one', async () => {
    const application_name = 'keepsake-broken'
    const pool = new pg.Pool({ ...server.connection, max: 1, application_name })
    pool.on('error', () => undefined)
    const writer = new pg.Client(server.connection)
    await writer.connect()
    try {
      const store = await PostgresStore.open({ pool, schema: 'broken_tx' })
      await store.append('a', [{ type: 't', payload: 1 }], 0)
      expect([pool.totalCount, pool.idleCount]).toEqual([1, 1])
      // The store's delete waits for the writer's lock; its connection is then killed under it.
      await writer.query('BEGIN')
      await writer.query('SELECT last FROM broken_tx.keepsake_positions FOR UPDATE')
      const deleting = store.delete('a').catch((e: unknown) => e) // it rejects while we wait below
      const waiting = async () =>
        (await admin<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = '${application_name}'`))[0]!.n
      for (let tries = 0; (await waiting()) === 0 && tries < 400; tries++) await admin('SELECT pg_sleep(0.05)')
      await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${application_name}'`)
      expect(await deleting).toMatchObject({ name: 'StoreUnavailableError', operation: 'delete' })
      await writer.query('ROLLBACK')
      expect(await store.lastSeq('a')).toBe(1)
      expect(await store.delete('a')).toBe(true)
      expect(await store.append('a', [{ type: 't', payload: 2 }], 0)).toBe(1)
    } finally {
      await writer.end()
      await pool.end()
    }
  })

  it('gives a connection back without the error listener it added for its transaction', async () => {
    const pool = new pg.Pool({ ...server.connection, max: 1 })
    try {
      const client = await pool.connect()
      const listeners = client.listenerCount('error')
      client.release()
      const store = await PostgresStore.open({ pool, schema: 'listeners' })
      await store.append('a', [{ type: 't', payload: 1 }], 0)
      await store.appendBatch([{ id: 'a', expectedSeq: 1, events: [{ type: 't', payload: 2 }] }])
      await store.delete('a')
      const again = await pool.connect()
      const left = again.listenerCount('error')
      again.release() // before any expect: pool.end() would wait for it
      expect(again).toBe(client) // max: 1, so the one every transaction ran on
      expect(left).toBe(listeners)
    } finally {
      await pool.end()
    }
  })
})

describe('PostgresStore, what it keeps and reads', () => {
  it('keeps its five tables under their names in its schema, refusing a schema that is not a string', async () => {
    const store = await PostgresStore.open({ config: server.connection, schema: 'tables_named' })
    await store.close()
    const rows = await admin<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'tables_named' ORDER BY 1`)
    expect(rows.map((row) => row.name)).toEqual(['keepsake_events', 'keepsake_journals', 'keepsake_positions', 'keepsake_snapshots', 'keepsake_tags'])
    expect((await openError({ config: server.connection, schema: ['tables_named'] })).option).toBe('schema')
  })

  it('reads at most limit events, by seq and by tag', async () => {
    const store = await PostgresStore.open({ config: server.connection, schema: 'limits' })
    try {
      await store.append('a', [1, 2, 3].map((n) => ({ type: 't', payload: n, tags: ['x'] })), 0)
      expect((await store.read('a', { limit: 2 })).map((e) => e.payload)).toEqual([1, 2])
      expect((await store.queryByTag('x', { limit: 2 })).events.map((e) => e.payload)).toEqual([1, 2])
    } finally {
      await store.close()
    }
  })

  it('outlives an idle connection of its own pool dying (the pool drops it), and goes on', async () => {
    const application_name = 'keepsake-idle-dies'
    const store = await PostgresStore.open({ config: { ...server.connection, application_name, idleTimeoutMillis: 60_000 }, schema: 'idle_dies' })
    try {
      await store.append('a', [{ type: 't', payload: 1 }], 0)
      await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${application_name}'`)
      expect(await connectionsLeft(application_name)).toBe(0)
      expect(await store.lastSeq('a')).toBe(1)
    } finally {
      await store.close()
    }
  })
})
