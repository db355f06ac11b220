import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../src/shared/errors'
import { StoreUnavailableError } from '../../src/stores/errors'
import type { KeeperStore, StoredEvent } from '../../src/stores/KeeperStore'
import { PostgresStore } from '../../src/stores/PostgresStore'
import { startPostgres, type PostgresServer } from '../support/postgres'
import { defineStoreContract } from './contract'

let server: PostgresServer
beforeAll(async () => {
  server = await startPostgres()
}, 60_000)
afterAll(async () => {
  await server?.stop()
})

let schemas = 0
const schemaOf = new WeakMap<KeeperStore, string>()

/** A store in a schema of its own, so tests never see each other's rows. */
async function freshStore(): Promise<PostgresStore> {
  const schema = `contract_${schemas++}`
  const store = await PostgresStore.open({ config: server.connection, schema })
  schemaOf.set(store, schema)
  return store
}

/** Runs `sql` on the server directly, behind the store's back. */
async function behindItsBack(sql: string, values: unknown[]): Promise<void> {
  const client = new pg.Client(server.connection)
  await client.connect()
  try {
    await client.query(sql, values)
  } finally {
    await client.end()
  }
}

defineStoreContract('PostgresStore', {
  open: freshStore,
  corruptEvent: (store, id, seq) =>
    behindItsBack(`UPDATE ${schemaOf.get(store)}.keepsake_events SET payload = '{"n": 2, "trunc' WHERE id = $1 AND seq = $2`, [id, seq]),
  corruptSnapshot: (store, id) => behindItsBack(`UPDATE ${schemaOf.get(store)}.keepsake_snapshots SET data = 'garbage' WHERE id = $1`, [id])
})

describe('PostgresStore', () => {
  it('keeps positions in commit order under concurrent writers, so a tag reader misses nothing', async () => {
    const store = await freshStore()
    const other = await PostgresStore.open({ config: server.connection, schema: schemaOf.get(store)! })
    try {
      const writer = async (s: PostgresStore, id: string) => {
        for (let seq = 0; seq < 30; seq++) await s.append(id, [{ type: 't', payload: seq, tags: ['all'] }], seq)
      }
      let writing = true
      const writers = Promise.all([writer(store, 'a'), writer(other, 'b'), writer(store, 'c'), writer(other, 'd')]).finally(
        () => (writing = false)
      )
      // Read alongside the writers, page by page, as a subscriber would.
      const seen: StoredEvent[] = []
      let next = 0
      for (let reading = true; reading; ) {
        reading = writing
        const page = await other.queryByTag('all', { from: next, limit: 7 })
        seen.push(...page.events)
        next = page.next
        if (page.events.length === 7) reading = true
      }
      await writers
      expect(seen).toHaveLength(120)
      const positions = seen.map((e) => e.position)
      expect(positions).toEqual([...new Set(positions)].sort((x, y) => x - y))
    } finally {
      await other.close()
      await store.close()
    }
  })

  it('rejects bad options with InvalidOptionError', async () => {
    await expect(PostgresStore.open({ config: server.connection, schema: 'x; DROP TABLE y' })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(PostgresStore.open({})).rejects.toBeInstanceOf(InvalidOptionError)
  })

  it('uses a pool it is given and leaves it open', async () => {
    const pool = new pg.Pool(server.connection)
    try {
      const store = await PostgresStore.open({ pool, schema: 'given_pool' })
      await store.append('a', [{ type: 't', payload: 1 }], 0)
      await store.close()
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM given_pool.keepsake_events')
      expect(rows).toEqual([{ n: 1 }])
    } finally {
      await pool.end()
    }
  })
})

describe('PostgresStore when the server is killed', () => {
  it('rejects with StoreUnavailableError while it is down, then goes on with every acknowledged append', async () => {
    const store = await PostgresStore.open({ config: server.connection, schema: 'outage' })
    try {
      await store.saveSnapshot('w', { seq: 0, data: 'before' })
      // Two writers append as fast as they can; the server is SIGKILLed
      // after the 40th acknowledgement, with appends in flight.
      const acked: Record<string, number[]> = { w1: [], w2: [] }
      let acks = 0
      const writer = async (id: string) => {
        for (let seq = 0; ; seq++) {
          try {
            await store.append(id, [{ type: 't', payload: seq + 1 }], seq)
          } catch (error) {
            return error
          }
          acked[id]!.push(seq + 1)
          if (++acks === 40) void server.kill()
        }
      }
      const failures = await Promise.all([writer('w1'), writer('w2')])
      for (const failure of failures) expect(failure).toBeInstanceOf(StoreUnavailableError)
      expect((failures[0] as StoreUnavailableError).operation).toBe('append')

      await server.kill()
      // Awaited together: one that failed while another was awaited would be an unhandled rejection.
      const calls = [store.append('w1', [{ type: 't', payload: 0 }], 0), store.lastSeq('w1'), store.read('w1'), store.listIds()]
      await Promise.all(calls.map((call) => expect(call).rejects.toBeInstanceOf(StoreUnavailableError)))
      await expect(PostgresStore.open({ config: server.connection, schema: 'outage' })).rejects.toBeInstanceOf(StoreUnavailableError)

      await server.restart()
      for (const id of ['w1', 'w2']) {
        const stored = (await store.read(id)).map((e) => e.payload)
        // Every acknowledged append is there, in order; at most the one in
        // flight when the server died may have committed without an ack.
        expect(stored.slice(0, acked[id]!.length)).toEqual(acked[id])
        expect(stored.length - acked[id]!.length).toBeLessThanOrEqual(1)
        expect(stored).toEqual(stored.map((_, i) => i + 1))
        const last = await store.lastSeq(id)
        expect(last).toBe(stored.length)
        expect(await store.append(id, [{ type: 't', payload: last + 1 }], last)).toBe(last + 1)
      }
      expect((await store.loadSnapshot('w'))!.data).toBe('before')
    } finally {
      await store.close()
    }
  })
})
