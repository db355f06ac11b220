import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromTransition, type EventObject } from 'xstate'
import { call, migrateStore, migrations, snapshotVersions, startBranch, type KeeperStore, type NewSnapshot } from '../../../src/index'
import { PostgresStore } from '../../../src/postgres'
import { SqliteStore } from '../../../src/sqlite'
import { deferred } from '../../support/deferred'
import { startPostgres, type PostgresServer } from '../../support/postgres'

// One account across three deploys, journaled:
// v1 counts `sum` and `adds` of { type: 'add', n };
// v2 names them `total` and `adds`, its event { type: 'add', amount };
// v3 adds a currency, its event { type: 'deposit', amount, currency }.
type S1 = { status: 'active'; context: { sum: number; adds: number } }
type S2 = { status: 'active'; context: { total: number; adds: number } }
type C3 = { total: number; adds: number; currency: string }
type E1 = { type: 'add'; n: number }
type E2 = { type: 'add'; amount: number }
type E3 = { type: 'deposit'; amount: number; currency: string }

const v1 = fromTransition((s: S1['context'], e: E1) => ({ sum: s.sum + e.n, adds: s.adds + 1 }), { sum: 0, adds: 0 })
const v2 = fromTransition((s: S2['context'], e: E2) => ({ total: s.total + e.amount, adds: s.adds + 1 }), { total: 0, adds: 0 })
const v3 = fromTransition((s: C3, e: E3) => ({ ...s, total: s.total + e.amount, adds: s.adds + 1, currency: e.currency }), { total: 0, adds: 0, currency: 'EUR' })

const toV2 = migrations<S1>().step(2, (s) => ({ ...s, context: { total: s.context.sum, adds: s.context.adds } }))
const toV3 = toV2.step(3, (s) => ({ ...s, context: { ...s.context, currency: 'EUR' } }))
const adaptToV2 = (event: EventObject, version: number): EventObject => {
  if (version === 1) return { type: 'add', amount: (event as E1).n } as E2
  throw new Error(`no upgrade from version ${version}`)
}
const adaptToV3 = (event: EventObject, version: number): EventObject => {
  const e2 = version === 1 ? adaptToV2(event, 1) : event
  if (version <= 2) return { type: 'deposit', amount: (e2 as E2).amount, currency: 'EUR' } as E3
  throw new Error(`no upgrade from version ${version}`)
}

/** `store`, with a promise per snapshot sequence number that resolves once a snapshot at it is saved (journal snapshots are written after the call resolves). */
function watched(store: KeeperStore): { store: KeeperStore; saved(seq: number): Promise<void> } {
  const waits = new Map<number, ReturnType<typeof deferred<void>>>()
  const waitFor = (seq: number) => waits.get(seq) ?? waits.set(seq, deferred<void>()).get(seq)!
  const proxy = new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown
      if (key === 'saveSnapshot') {
        return async (id: string, snapshot: NewSnapshot) => {
          const written = await target.saveSnapshot(id, snapshot)
          waitFor(snapshot.seq).resolve()
          return written
        }
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    }
  })
  return { store: proxy, saved: (seq) => waitFor(seq).promise }
}

const stores: [string, () => Promise<KeeperStore>][] = [
  ['SqliteStore', async () => SqliteStore.open(join(dir, `journal-${++files}.db`), { synchronous: 'OFF' })],
  ['PostgresStore', async () => PostgresStore.open({ config: postgres.connection, schema: `migrations_${++files}` })]
]
let dir: string
let files = 0
let postgres: PostgresServer
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keepsake-migrations-'))
  postgres = await startPostgres()
}, 60_000)
afterAll(async () => {
  await postgres?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe.each(stores)('versions on %s', (_, openStore) => {
  it('a journal spanning three versions, with snapshots at two of them, recovers as the snapshot migrated to the current version, then the newer events upgraded by the adapter', async () => {
    const real = await openStore()
    const { store, saved } = watched(real)
    const journal = { store, mode: 'journal' as const, snapshotEvery: 3 }
    try {
      // Version 1: four events; a snapshot at 3.
      const one = await startBranch({ logic: v1, name: 'acct', durable: journal })
      for (const n of [1, 2, 3, 4]) await call(one, { type: 'add', n })
      await saved(3)
      await one.stop()
      expect(await store.loadSnapshot('acct')).toMatchObject({ seq: 3, version: 1, data: { context: { sum: 6, adds: 3 } } })

      // Version 2: the v1 snapshot is migrated and written back at 3, event 4 adapted; three more events, a snapshot at 6.
      const two = await startBranch({ logic: v2, name: 'acct', durable: { ...journal, migrations: toV2, adapter: adaptToV2 } })
      expect(two.state()).toEqual({ total: 10, adds: 4 })
      expect(await store.loadSnapshot('acct')).toMatchObject({ seq: 3, version: 2, data: { context: { total: 6, adds: 3 } } })
      for (const amount of [10, 20, 30]) await call(two, { type: 'add', amount })
      await saved(6)
      await two.stop()
      expect(await store.loadSnapshot('acct')).toMatchObject({ seq: 6, version: 2, data: { context: { total: 40, adds: 6 } } })

      // Version 3: the v2 snapshot is migrated, event 7 (v2) adapted; two v3 events, a snapshot at 9.
      const three = await startBranch({ logic: v3, name: 'acct', durable: { ...journal, migrations: toV3, adapter: adaptToV3 } })
      expect(three.state()).toEqual({ total: 70, adds: 7, currency: 'EUR' })
      expect(await store.loadSnapshot('acct')).toMatchObject({ seq: 6, version: 3, data: { context: { total: 40, adds: 6, currency: 'EUR' } } })
      await call(three, { type: 'deposit', amount: 100, currency: 'EUR' })
      await call(three, { type: 'deposit', amount: 200, currency: 'CHF' })
      await saved(9)
      await three.stop()
      expect((await store.read('acct')).map((e) => e.version)).toEqual([1, 1, 1, 1, 2, 2, 2, 3, 3])
      expect(await store.loadSnapshot('acct')).toMatchObject({ seq: 9, version: 3 })
      const expected = { total: 370, adds: 9, currency: 'CHF' }

      // The same journal without any snapshot, replayed from the start by v3 through the adapter alone, agrees.
      const events = await store.read('acct')
      await store.append('acct-copy', events.map(({ type, payload, version }) => ({ type, payload, version })), 0)
      const copy = await startBranch({ logic: v3, name: 'acct-copy', durable: { ...journal, migrations: toV3, adapter: adaptToV3 } })
      expect(copy.state()).toEqual(expected)
      await copy.stop()

      const again = await startBranch({ logic: v3, name: 'acct', durable: { ...journal, migrations: toV3, adapter: adaptToV3 } })
      expect(again.state()).toEqual(expected)
      await again.stop()
    } finally {
      await real.close()
    }
  })

  it('migrateStore brings every snapshot of a kind to version 3, a dry run first, and branches then start without a step', async () => {
    const store = await openStore()
    try {
      // Even ones written by version 1, odd ones by version 2.
      for (let i = 0; i < 5; i++) {
        const context = i % 2 === 0 ? { sum: i, adds: i } : { total: i, adds: i }
        await store.saveSnapshot(`acct/${i}`, { seq: i, data: { status: 'active', context }, version: 1 + (i % 2) })
      }
      await store.saveSnapshot('other', { seq: 0, data: { status: 'active', context: { sum: 0, adds: 0 } }, version: 1 })
      const target = { logic: v3, migrations: toV3, prefix: 'acct/' }
      expect(await migrateStore(store, target)).toMatchObject({ applied: false, total: 5, migrated: ['acct/0', 'acct/1', 'acct/2', 'acct/3', 'acct/4'] })
      expect(await snapshotVersions(store, { prefix: 'acct/' })).toEqual([
        { version: 1, count: 3, ids: ['acct/0', 'acct/2', 'acct/4'] },
        { version: 2, count: 2, ids: ['acct/1', 'acct/3'] }
      ])
      expect(await migrateStore(store, { ...target, apply: true })).toMatchObject({ applied: true, migrated: ['acct/0', 'acct/1', 'acct/2', 'acct/3', 'acct/4'], failed: [] })
      expect(await snapshotVersions(store)).toEqual([
        { version: 1, count: 1, ids: ['other'] },
        { version: 3, count: 5, ids: ['acct/0', 'acct/1', 'acct/2', 'acct/3', 'acct/4'] }
      ])
      expect(await store.loadSnapshot('acct/3')).toMatchObject({ seq: 3, data: { context: { total: 3, adds: 3, currency: 'EUR' } } })
      const none = { 2: () => expect.fail('no step runs'), 3: () => expect.fail('no step runs') }
      const branch = await startBranch({ logic: v3, name: 'acct/3', durable: { store, migrations: none } })
      expect(branch.state()).toEqual({ total: 3, adds: 3, currency: 'EUR' })
      await branch.stop()
    } finally {
      await store.close()
    }
  })
})
