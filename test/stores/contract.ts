import { afterEach, describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../src/shared/errors'
import {
  CorruptRecordError,
  InvalidRecordError,
  JournalConflictError,
  SnapshotConflictError,
  StoreClosedError
} from '../../src/stores/errors'
import type { KeeperStore, NewEvent, StoredEvent } from '../../src/stores/KeeperStore'

/** How the contract suite gets stores, and reaches behind them to damage records. */
export interface StoreHarness {
  /** A fresh, empty store. The suite closes it after each test. */
  open(): Promise<KeeperStore>
  /** Durable stores: overwrite the stored payload of event `seq` of `id` with garbage. */
  corruptEvent?(store: KeeperStore, id: string, seq: number): Promise<void>
  /** Durable stores: overwrite the stored data of the snapshot of `id` with garbage. */
  corruptSnapshot?(store: KeeperStore, id: string): Promise<void>
}

const ev = (n: number, tags?: string[]): NewEvent => ({ type: 'inc', payload: { n }, tags })
const payloads = (events: StoredEvent[]) => events.map((e) => e.payload)

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error
  )
}

/**
 * The guarantees every `KeeperStore` keeps (see `src/stores/KeeperStore.ts`),
 * as one suite to run against each store.
 */
export function defineStoreContract(name: string, harness: StoreHarness): void {
  describe(`${name} (KeeperStore contract)`, () => {
    const opened: KeeperStore[] = []
    const open = async () => {
      const store = await harness.open()
      opened.push(store)
      return store
    }
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()))
    })

    describe('journal', () => {
      it('numbers events from 1 and reads them back with every field', async () => {
        const store = await open()
        const before = Date.now()
        expect(await store.append('a', [ev(1), { type: 'named', payload: 'x', version: 3, tags: ['t'], at: 42 }], 0)).toBe(2)
        const after = Date.now()
        const [first, second] = await store.read('a')
        expect(first).toMatchObject({ id: 'a', seq: 1, type: 'inc', payload: { n: 1 }, version: 1, tags: [] })
        expect(first!.at).toBeGreaterThanOrEqual(before)
        expect(first!.at).toBeLessThanOrEqual(after)
        expect(second).toEqual({ id: 'a', seq: 2, position: second!.position, type: 'named', payload: 'x', version: 3, tags: ['t'], at: 42 })
        expect(second!.position).toBeGreaterThan(first!.position)
      })

      it('continues from expectedSeq and reports the last sequence number', async () => {
        const store = await open()
        expect(await store.lastSeq('a')).toBe(0)
        expect(await store.read('a')).toEqual([])
        await store.append('a', [ev(1)], 0)
        expect(await store.append('a', [ev(2), ev(3)], 1)).toBe(3)
        expect(await store.lastSeq('a')).toBe(3)
        expect((await store.read('a')).map((e) => e.seq)).toEqual([1, 2, 3])
        expect(payloads(await store.read('a'))).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
      })

      it('rejects an append whose expectedSeq is not the end of the journal, writing nothing', async () => {
        const store = await open()
        await store.append('a', [ev(1), ev(2)], 0)
        for (const expected of [0, 1, 3]) {
          const error = await rejection(store.append('a', [ev(99)], expected))
          expect(error).toBeInstanceOf(JournalConflictError)
          expect(error).toMatchObject({ id: 'a', expected, actual: 2, code: 'JOURNAL_CONFLICT' })
        }
        expect(await store.lastSeq('a')).toBe(2)
        expect(payloads(await store.read('a'))).toEqual([{ n: 1 }, { n: 2 }])
      })

      it('lets exactly one of two concurrent appends at the same expectedSeq win', async () => {
        const store = await open()
        await store.append('a', [ev(0)], 0)
        const results = await Promise.allSettled([store.append('a', [ev(1)], 1), store.append('a', [ev(2)], 1)])
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
        expect(lost.reason).toBeInstanceOf(JournalConflictError)
        expect(await store.lastSeq('a')).toBe(2)
      })

      it('treats an empty append as a check of expectedSeq', async () => {
        const store = await open()
        expect(await store.append('a', [], 0)).toBe(0)
        expect(await store.listIds()).toEqual([])
        await store.append('a', [ev(1)], 0)
        expect(await store.append('a', [], 1)).toBe(1)
        expect(await rejection(store.append('a', [], 0))).toBeInstanceOf(JournalConflictError)
      })

      it('reads from a sequence number, at most limit events, for paging', async () => {
        const store = await open()
        await store.append('a', Array.from({ length: 25 }, (_, i) => ev(i + 1)), 0)
        expect((await store.read('a', { fromSeq: 24 })).map((e) => e.seq)).toEqual([24, 25])
        expect(await store.read('a', { fromSeq: 26 })).toEqual([])
        expect(await store.read('a', { limit: 0 })).toEqual([])
        const seen: number[] = []
        for (let from = 1; ; ) {
          const page = await store.read('a', { fromSeq: from, limit: 10 })
          if (page.length === 0) break
          seen.push(...page.map((e) => e.seq))
          from = page[page.length - 1]!.seq + 1
        }
        expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
      })

      it('keeps journals apart', async () => {
        const store = await open()
        await store.append('a', [ev(1)], 0)
        await store.append('b', [ev(2), ev(3)], 0)
        expect(payloads(await store.read('a'))).toEqual([{ n: 1 }])
        expect(await store.lastSeq('b')).toBe(2)
      })

      it('rejects bad read options with InvalidOptionError', async () => {
        const store = await open()
        for (const options of [{ fromSeq: 0 }, { fromSeq: 1.5 }, { limit: -1 }, { limit: Number.NaN }]) {
          expect(await rejection(store.read('a', options))).toBeInstanceOf(InvalidOptionError)
        }
        expect(await rejection(store.queryByTag('t', { from: -1 }))).toBeInstanceOf(InvalidOptionError)
      })
    })

    describe('readPayloads (optional)', () => {
      it('gives seq, version and payload of what read gives, paged the same way', async () => {
        const store = await open()
        if (!store.readPayloads) return
        await store.append('a', [ev(1), { type: 'v', payload: { nested: [1, 'two', null], s: 'a,b]' }, version: 4 }, ev(3)], 0)
        await store.append('b', [ev(9)], 0)
        const full = (await store.read('a')).map(({ seq, version, payload }) => ({ seq, version, payload }))
        expect(await store.readPayloads('a')).toEqual(full)
        expect(await store.readPayloads('a', { fromSeq: 2, limit: 1 })).toEqual([full[1]])
        expect(await store.readPayloads('nobody')).toEqual([])
        await expect(store.readPayloads('a', { fromSeq: 0 })).rejects.toBeInstanceOf(InvalidOptionError)
      })
    })

    describe('values', () => {
      it('round-trips JSON exactly, key order included', async () => {
        const store = await open()
        const payload = {
          z: 1,
          a: [0.1, -2, Number.MAX_SAFE_INTEGER, 1e300, true, false, null, [], {}],
          text: 'quotes " \\ backslash, NUL \u0000, emoji 🦊, lone \ud800, café, 漢字',
          nested: { deep: { deeper: ['x'] } },
          ['key with "quotes"']: 'ok'
        }
        await store.append('a', [{ type: 't', payload }, { type: 'null', payload: null }, { type: 's', payload: 'just a string' }], 0)
        const events = await store.read('a')
        expect(payloads(events)).toEqual([payload, null, 'just a string'])
        expect(Object.keys(events[0]!.payload as object)).toEqual(Object.keys(payload))
        await store.saveSnapshot('a', { seq: 3, data: payload })
        expect((await store.loadSnapshot('a'))!.data).toEqual(payload)
      })

      it('leaves out undefined properties, as JSON does', async () => {
        const store = await open()
        await store.append('a', [{ type: 't', payload: { kept: 1, dropped: undefined } }], 0)
        expect((await store.read('a'))[0]!.payload).toStrictEqual({ kept: 1 })
      })

      it('copies values in and out: mutating them never changes the store', async () => {
        const store = await open()
        const payload = { list: [1] }
        await store.append('a', [{ type: 't', payload }], 0)
        payload.list.push(2)
        const [read] = await store.read('a')
        ;((read!.payload as { list: number[] }).list).push(3)
        expect((await store.read('a'))[0]!.payload).toEqual({ list: [1] })
      })

      class Point {
        constructor(readonly x = 1) {}
      }
      const cyclic: Record<string, unknown> = { a: 1 }
      cyclic.self = cyclic
      const bad: [string, unknown, string][] = [
        ['a Date', { when: new Date(0) }, 'events[0].payload.when'],
        ['a Map', { m: new Map() }, 'events[0].payload.m'],
        ['a class instance', [new Point()], 'events[0].payload[0]'],
        ['a function', { f: () => 1 }, 'events[0].payload.f'],
        ['a bigint', { n: 1n }, 'events[0].payload.n'],
        ['a symbol', { s: Symbol('s') }, 'events[0].payload.s'],
        ['NaN', { n: Number.NaN }, 'events[0].payload.n'],
        ['Infinity', { list: [1, Number.POSITIVE_INFINITY] }, 'events[0].payload.list[1]'],
        ['undefined in an array', [undefined], 'events[0].payload[0]'],
        ['undefined itself', undefined, 'events[0].payload'],
        ['a cycle', cyclic, 'events[0].payload.self'],
        ['an odd key', { 'a b': new Set() }, 'events[0].payload["a b"]']
      ]
      it.each(bad)('rejects %s with InvalidRecordError naming where, writing nothing', async (_, payload, path) => {
        const store = await open()
        const error = await rejection(store.append('a', [{ type: 't', payload }, ev(1)], 0))
        expect(error).toBeInstanceOf(InvalidRecordError)
        expect(error).toMatchObject({ path, code: 'INVALID_RECORD' })
        expect(await store.lastSeq('a')).toBe(0)
      })

      it('rejects bad ids, sequence numbers, types, versions, tags and times before writing', async () => {
        const store = await open()
        const cases: [Promise<unknown>, string][] = [
          [store.append('', [ev(1)], 0), 'id'],
          [store.append('a\u0000b', [ev(1)], 0), 'id'],
          [store.append('a', [ev(1)], -1), 'expectedSeq'],
          [store.append('a', [ev(1)], 0.5), 'expectedSeq'],
          [store.append('a', [{ type: '', payload: 1 }], 0), 'events[0].type'],
          [store.append('a', [ev(1), { type: 't', payload: 1, version: 0 }], 0), 'events[1].version'],
          [store.append('a', [{ type: 't', payload: 1, tags: ['ok', ''] }], 0), 'events[0].tags[1]'],
          [store.append('a', [{ type: 't', payload: 1, at: Number.NaN }], 0), 'events[0].at'],
          [store.append('a', 'nope' as never, 0), 'events'],
          [store.saveSnapshot('a', { seq: -1, data: {} }), 'snapshot.seq'],
          [store.saveSnapshot('a', { seq: 1, data: new Date() }), 'snapshot.data'],
          [store.appendBatch([{ id: 'a', expectedSeq: 0, events: [ev(1)] }, { id: 'b', expectedSeq: 0, events: [{ type: 't', payload: 1n }] }]), 'requests[1].events[0].payload']
        ]
        for (const [promise, path] of cases) {
          const error = await rejection(promise)
          expect(error).toBeInstanceOf(InvalidRecordError)
          expect((error as InvalidRecordError).path).toBe(path)
        }
        expect(await store.listIds()).toEqual([])
      })
    })

    describe('appendBatch', () => {
      it('appends to several journals at once, resolving with each new last sequence number', async () => {
        const store = await open()
        await store.append('b', [ev(1)], 0)
        expect(
          await store.appendBatch([
            { id: 'a', expectedSeq: 0, events: [ev(1), ev(2)] },
            { id: 'b', expectedSeq: 1, events: [ev(2)] },
            { id: 'a', expectedSeq: 2, events: [ev(3)] }
          ])
        ).toEqual([2, 2, 3])
        expect(payloads(await store.read('a'))).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
        expect(payloads(await store.read('b'))).toEqual([{ n: 1 }, { n: 2 }])
        expect(await store.appendBatch([])).toEqual([])
      })

      it('writes nothing if any request conflicts, and names it', async () => {
        const store = await open()
        await store.append('b', [ev(1)], 0)
        const error = await rejection(
          store.appendBatch([
            { id: 'a', expectedSeq: 0, events: [ev(1)] },
            { id: 'b', expectedSeq: 0, events: [ev(2)] },
            { id: 'c', expectedSeq: 0, events: [ev(3)] }
          ])
        )
        expect(error).toBeInstanceOf(JournalConflictError)
        expect(error).toMatchObject({ id: 'b', expected: 0, actual: 1 })
        expect(await store.listIds()).toEqual(['b'])
        expect(await store.lastSeq('b')).toBe(1)
      })

      it('checks a repeated id against the batch’s own earlier request', async () => {
        const store = await open()
        const error = await rejection(
          store.appendBatch([
            { id: 'a', expectedSeq: 0, events: [ev(1)] },
            { id: 'a', expectedSeq: 0, events: [ev(2)] }
          ])
        )
        expect(error).toMatchObject({ id: 'a', expected: 0, actual: 1 })
        expect(await store.lastSeq('a')).toBe(0)
      })
    })

    describe('snapshots', () => {
      it('keeps the newest snapshot; an older one never replaces it', async () => {
        const store = await open()
        expect(await store.loadSnapshot('a')).toBeUndefined()
        expect(await store.saveSnapshot('a', { seq: 5, data: { n: 5 }, at: 7 })).toBe(true)
        expect(await store.loadSnapshot('a')).toEqual({ id: 'a', seq: 5, data: { n: 5 }, version: 1, at: 7 })
        expect(await store.saveSnapshot('a', { seq: 4, data: { n: 4 } })).toBe(false)
        expect((await store.loadSnapshot('a'))!.data).toEqual({ n: 5 })
        expect(await store.saveSnapshot('a', { seq: 9, data: { n: 9 }, version: 2 })).toBe(true)
        expect(await store.loadSnapshot('a')).toMatchObject({ seq: 9, data: { n: 9 }, version: 2 })
      })

      it('replaces a snapshot at the same sequence number (re-saved in a new format)', async () => {
        const store = await open()
        await store.saveSnapshot('a', { seq: 3, data: 'v1', version: 1 })
        expect(await store.saveSnapshot('a', { seq: 3, data: 'v2', version: 2 })).toBe(true)
        expect(await store.loadSnapshot('a')).toMatchObject({ seq: 3, data: 'v2', version: 2 })
      })

      it('second writer: a fenced write stores only over the snapshot its writer last read or wrote', async () => {
        const store = await open()
        expect(await store.saveSnapshot('a', { seq: 0, data: 'base', expectedSeq: null })).toBe(true)
        const twice = await rejection(store.saveSnapshot('a', { seq: 0, data: 'other base', expectedSeq: null }))
        expect(twice).toBeInstanceOf(SnapshotConflictError)
        expect(twice).toMatchObject({ id: 'a', expected: null, actual: 0 })
        // Two writers both read seq 0: the first write wins, the second is refused whatever its seq.
        expect(await store.saveSnapshot('a', { seq: 1, data: 'first', expectedSeq: 0 })).toBe(true)
        for (const seq of [1, 2]) {
          expect(await rejection(store.saveSnapshot('a', { seq, data: 'second', expectedSeq: 0 }))).toMatchObject({ expected: 0, actual: 1 })
        }
        expect(await store.loadSnapshot('a')).toMatchObject({ seq: 1, data: 'first' })
        expect(await store.saveSnapshot('a', { seq: 2, data: 'first again', expectedSeq: 1 })).toBe(true)
        await store.delete('a')
        expect(await rejection(store.saveSnapshot('a', { seq: 3, data: 'late', expectedSeq: 2 }))).toMatchObject({ expected: 2, actual: null })
        expect(await store.loadSnapshot('a')).toBeUndefined()
        const bad = await rejection(store.saveSnapshot('a', { seq: 1, data: 1, expectedSeq: -1 }))
        expect(bad).toBeInstanceOf(InvalidRecordError)
        expect((bad as InvalidRecordError).path).toBe('snapshot.expectedSeq')
      })

      it('second writer: of fenced writes racing on one snapshot, exactly one is stored', async () => {
        const store = await open()
        await store.saveSnapshot('a', { seq: 0, data: 0, expectedSeq: null })
        const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.saveSnapshot('a', { seq: 1, data: i + 1, expectedSeq: 0 })))
        const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i + 1] : []))
        expect(won).toHaveLength(1)
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(SnapshotConflictError)
        expect((await store.loadSnapshot('a'))!.data).toBe(won[0])
      })

      it('keeps snapshots apart from journals and from each other', async () => {
        const store = await open()
        await store.saveSnapshot('a', { seq: 10, data: 'a' })
        await store.saveSnapshot('b', { seq: 0, data: 'b' })
        expect(await store.lastSeq('a')).toBe(0)
        expect((await store.loadSnapshot('b'))!.data).toBe('b')
        expect(await store.listIds()).toEqual(['a', 'b'])
      })
    })

    describe('queryByTag', () => {
      it('reads tagged events across branches in global append order', async () => {
        const store = await open()
        await store.append('a', [ev(1, ['t']), ev(2)], 0)
        await store.append('b', [ev(3, ['t', 'u'])], 0)
        await store.appendBatch([
          { id: 'c', expectedSeq: 0, events: [ev(4, ['t', 't'])] },
          { id: 'a', expectedSeq: 2, events: [ev(5, ['u', 't'])] }
        ])
        const { events, next } = await store.queryByTag('t')
        expect(events.map((e) => [e.id, e.seq])).toEqual([['a', 1], ['b', 1], ['c', 1], ['a', 3]])
        expect(events.map((e) => e.position)).toEqual([...events.map((e) => e.position)].sort((x, y) => x - y))
        expect(next).toBe(events[3]!.position + 1)
        expect(events[2]!.tags).toEqual(['t'])
        expect(events[3]!.tags).toEqual(['u', 't'])
        expect((await store.queryByTag('u')).events.map((e) => e.id)).toEqual(['b', 'a'])
      })

      it('pages with next, which a reader keeps to see each later event once', async () => {
        const store = await open()
        for (let i = 1; i <= 7; i++) await store.append(i % 2 ? 'odd' : 'even', [ev(i, ['all'])], Math.floor((i - 1) / 2))
        const first = await store.queryByTag('all', { limit: 3 })
        const second = await store.queryByTag('all', { from: first.next, limit: 3 })
        const third = await store.queryByTag('all', { from: second.next, limit: 3 })
        expect([...first.events, ...second.events, ...third.events].map((e) => (e.payload as { n: number }).n)).toEqual([1, 2, 3, 4, 5, 6, 7])
        const caughtUp = await store.queryByTag('all', { from: third.next })
        expect(caughtUp).toEqual({ events: [], next: third.next })
        await store.append('odd', [ev(8, ['all'])], 4)
        expect((await store.queryByTag('all', { from: caughtUp.next })).events.map((e) => e.seq)).toEqual([5])
      })

      it('finds nothing for an unknown tag', async () => {
        const store = await open()
        await store.append('a', [ev(1, ['t'])], 0)
        expect(await store.queryByTag('nope', { from: 3 })).toEqual({ events: [], next: 3 })
      })
    })

    describe('delete and listIds', () => {
      it('deletes a journal, its snapshot and its tags', async () => {
        const store = await open()
        await store.append('a', [ev(1, ['t'])], 0)
        await store.append('b', [ev(2, ['t'])], 0)
        await store.saveSnapshot('a', { seq: 1, data: 1 })
        expect(await store.listIds()).toEqual(['a', 'b'])
        expect(await store.delete('a')).toBe(true)
        expect(await store.delete('a')).toBe(false)
        expect(await store.lastSeq('a')).toBe(0)
        expect(await store.read('a')).toEqual([])
        expect(await store.loadSnapshot('a')).toBeUndefined()
        expect((await store.queryByTag('t')).events.map((e) => e.id)).toEqual(['b'])
        expect(await store.listIds()).toEqual(['b'])
      })

      it('starts a new journal after a delete, at higher positions', async () => {
        const store = await open()
        await store.append('a', [ev(1, ['t'])], 0)
        const { next } = await store.queryByTag('t')
        await store.delete('a')
        await store.append('a', [ev(2, ['t'])], 0)
        const [event] = await store.read('a')
        expect(event).toMatchObject({ seq: 1, payload: { n: 2 } })
        expect(event!.position).toBeGreaterThanOrEqual(next)
        expect((await store.queryByTag('t', { from: next })).events).toHaveLength(1)
      })

      it('deletes a snapshot-only id too', async () => {
        const store = await open()
        await store.saveSnapshot('s', { seq: 1, data: 1 })
        expect(await store.delete('s')).toBe(true)
        expect(await store.listIds()).toEqual([])
      })

      it('lists ids in JavaScript string order', async () => {
        const store = await open()
        for (const id of ['b', 'a', 'B', 'é', 'a-1', '10', '9']) await store.append(id, [ev(1)], 0)
        expect(await store.listIds()).toEqual(['10', '9', 'B', 'a', 'a-1', 'b', 'é'])
      })
    })

    describe('listSnapshots', () => {
      it('lists snapshots by literal id prefix, without data, sorted, each with its version', async () => {
        const store = await open()
        await store.saveSnapshot('carts/b', { seq: 3, data: { big: 'x'.repeat(1000) }, version: 2, at: 5 })
        await store.saveSnapshot('carts/a', { seq: 1, data: 1, at: 6 })
        await store.saveSnapshot('carts/é', { seq: 0, data: 1, version: 7, at: 7 })
        await store.saveSnapshot('cartsX', { seq: 1, data: 1, at: 8 })
        await store.saveSnapshot('c%_/a', { seq: 1, data: 1, at: 9 })
        await store.append('carts/journal-only', [ev(1)], 0)
        expect(await store.listSnapshots({ prefix: 'carts/' })).toEqual([
          { id: 'carts/a', seq: 1, version: 1, at: 6 },
          { id: 'carts/b', seq: 3, version: 2, at: 5 },
          { id: 'carts/é', seq: 0, version: 7, at: 7 }
        ])
        // '%' and '_' match only themselves.
        expect((await store.listSnapshots({ prefix: 'c%_' })).map((s) => s.id)).toEqual(['c%_/a'])
        expect((await store.listSnapshots({ prefix: 'c_' })).map((s) => s.id)).toEqual([])
        expect((await store.listSnapshots()).map((s) => s.id)).toEqual(['c%_/a', 'carts/a', 'carts/b', 'carts/é', 'cartsX'])
        expect(await store.listSnapshots({ prefix: '' })).toHaveLength(5)
        await store.saveSnapshot('carts/a', { seq: 2, data: 2, version: 3, at: 10 })
        await store.delete('carts/b')
        expect(await store.listSnapshots({ prefix: 'carts/' })).toEqual([
          { id: 'carts/a', seq: 2, version: 3, at: 10 },
          { id: 'carts/é', seq: 0, version: 7, at: 7 }
        ])
      })

      it('rejects a prefix that is not a string with InvalidOptionError', async () => {
        const store = await open()
        for (const prefix of [3, ['a'], 'a\u0000']) {
          expect(await rejection(store.listSnapshots({ prefix: prefix as string }))).toBeInstanceOf(InvalidOptionError)
        }
      })
    })

    describe('close', () => {
      it('is idempotent, and later calls reject with StoreClosedError', async () => {
        const store = await open()
        await store.append('a', [ev(1)], 0)
        await store.close()
        await store.close()
        const calls: Promise<unknown>[] = [
          store.append('a', [ev(2)], 1),
          store.appendBatch([]),
          store.read('a'),
          store.lastSeq('a'),
          store.saveSnapshot('a', { seq: 1, data: 1 }),
          store.loadSnapshot('a'),
          store.queryByTag('t'),
          store.delete('a'),
          store.listIds(),
          store.listSnapshots()
        ]
        for (const call of calls) expect(await rejection(call)).toBeInstanceOf(StoreClosedError)
      })
    })

    const { corruptEvent, corruptSnapshot } = harness
    if (corruptEvent !== undefined && corruptSnapshot !== undefined) {
      describe('corrupt records', () => {
        it('reports a damaged event as CorruptRecordError naming its id and seq, and leaves the rest readable', async () => {
          const store = await open()
          await store.append('a', [ev(1, ['t']), ev(2, ['t']), ev(3, ['t'])], 0)
          await corruptEvent(store, 'a', 2)
          // Made one at a time: a read started early could reject before anyone listened.
          const reads = [() => store.read('a'), () => store.queryByTag('t'), ...(store.readPayloads ? [() => store.readPayloads!('a')] : [])]
          for (const read of reads) {
            const error = await rejection(read())
            expect(error).toBeInstanceOf(CorruptRecordError)
            expect(error).toMatchObject({ id: 'a', seq: 2, record: 'event', code: 'CORRUPT_RECORD' })
            expect((error as Error).message).toContain('"a" at sequence 2')
            expect((error as Error).cause).toBeInstanceOf(Error)
          }
          expect(payloads(await store.read('a', { fromSeq: 3 }))).toEqual([{ n: 3 }])
          expect(await store.lastSeq('a')).toBe(3)
          expect(await rejection(store.append('a', [ev(4)], 2))).toBeInstanceOf(JournalConflictError)
        })

        it('reports a damaged snapshot as CorruptRecordError naming its id and seq', async () => {
          const store = await open()
          await store.saveSnapshot('a', { seq: 7, data: { n: 7 } })
          await corruptSnapshot(store, 'a')
          const error = await rejection(store.loadSnapshot('a'))
          expect(error).toBeInstanceOf(CorruptRecordError)
          expect(error).toMatchObject({ id: 'a', seq: 7, record: 'snapshot' })
        })
      })
    }
  })
}
