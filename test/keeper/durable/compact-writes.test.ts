import { afterEach, describe, expect, it } from 'vitest'
import { fromTransition, type EventObject, type Snapshot } from 'xstate'
import { MemoryStore, type DurableOptions, type KeeperStore, type NewSnapshot } from '../../../src/index'
import { Durability } from '../../../src/keeper/durable/Durability'
import { readDurableOptions } from '../../../src/keeper/durable/options'
import { FlakyStore } from '../../support/stores'

// Snapshot mode with compactEvery, straight on a store: what the first change after a start holds,
// where the compactions fall once a start (or a migration) has moved the count on, and a
// compaction that fails.

type Add = { type: 'add'; n: number }
type Total = { total: number; label: string }
const counter = fromTransition((s: Total, e: Add) => ({ ...s, total: s.total + e.n }), { total: 0, label: 'a counter' })
const state = (total: number) => ({ status: 'active', output: undefined, error: undefined, context: { total, label: 'a counter' } }) as Snapshot<unknown>
const add = (n: number): EventObject => ({ type: 'add', n }) as EventObject

const durable = (store: KeeperStore, options: Partial<DurableOptions> = {}) => new Durability(counter, readDurableOptions({ store, mode: 'snapshot', compactEvery: 3, ...options }, 'b'))

/** A writer of `b` that has read the store (as a start does). */
async function recovered(store: KeeperStore, options: Partial<DurableOptions> = {}): Promise<Durability> {
  const d = durable(store, options)
  await d.recover(undefined)
  return d
}

/** A writer of a new `b`, its first state (total 0) saved. */
async function begun(store: KeeperStore, options: Partial<DurableOptions> = {}): Promise<Durability> {
  const d = await recovered(store, options)
  await d.begin(state(0))
  return d
}

/** Records one event per total, each leaving that total. */
async function recordAll(d: Durability, totals: number[]): Promise<void> {
  for (const total of totals) await d.record(add(1), state(total))
}

/** Lets the compaction saved after a change (not awaited by the call) land. */
const landed = (d: Durability) => d.settled().then(() => new Promise((resolve) => setImmediate(resolve)))
const snapshotSeq = async (store: KeeperStore) => (await store.loadSnapshot('b'))?.seq

describe('snapshot mode with compactEvery, on a store', () => {
  it('the first change after a start holds only what changed from the recovered state', async () => {
    const store = new MemoryStore()
    const first = await begun(store)
    await recordAll(first, [1])
    const again = await recovered(store)
    await recordAll(again, [2])
    const [record] = await store.read('b', { fromSeq: 2 })
    expect((record?.payload as { changes: unknown }).changes).toEqual([['s', ['total'], 2]])
  })

  it('counts compactEvery from the snapshot a start found, not from 0', async () => {
    const store = new MemoryStore()
    const first = await begun(store)
    await recordAll(first, [1, 2, 3, 4])
    await landed(first)
    expect(await snapshotSeq(store)).toBe(3)
    // Found: the snapshot at 3 and a change after it; the next compaction is at 6.
    const again = await recovered(store)
    await recordAll(again, [5])
    await landed(again)
    expect(await snapshotSeq(store)).toBe(3)
    await recordAll(again, [6])
    await landed(again)
    expect(await snapshotSeq(store)).toBe(6)
  })

  it('after a migration written back at the last change, counts compactEvery from it', async () => {
    const store = new MemoryStore()
    const v1 = await begun(store)
    await recordAll(v1, [1, 2, 3, 4])
    await landed(v1)
    // The new version migrates the snapshot at 3 with the change at 4, written back whole at 4.
    const v2 = await recovered(store, { version: 2, migrations: { 2: (s: unknown) => s } })
    expect(await store.loadSnapshot('b')).toMatchObject({ seq: 4, version: 2 })
    await recordAll(v2, [5, 6])
    await landed(v2)
    expect(await snapshotSeq(store)).toBe(4)
    await recordAll(v2, [7])
    await landed(v2)
    expect(await snapshotSeq(store)).toBe(7)
  })

  it('batched: the change records go through group commit (appendBatch), each at the next sequence number, and a start reads them back; sync: one append each', async () => {
    const store = new FlakyStore()
    const d = await begun(store, { durability: 'batched' })
    await recordAll(d, [1, 2])
    expect((await store.read('b')).map((e) => e.seq)).toEqual([1, 2])
    expect({ appends: store.appends, batches: store.batches }).toEqual({ appends: 0, batches: 2 })
    const sync = new FlakyStore()
    const s = await begun(sync)
    await recordAll(s, [1, 2])
    expect({ appends: sync.appends, batches: sync.batches }).toEqual({ appends: 2, batches: 0 })
    const point = await durable(store).recover(undefined)
    expect((point?.snapshot as unknown as { context: Total }).context.total).toBe(2)
  })

  it('a batch (callAll) is one change record, from the state before it to its last state', async () => {
    const store = new MemoryStore()
    const d = await begun(store)
    d.openBatch()
    const calls = [d.record(add(1), state(1)), d.record(add(1), state(2))]
    await d.closeBatch()
    await Promise.all(calls)
    await recordAll(d, [3])
    const journal = await store.read('b')
    expect(journal.map((e) => [e.seq, (e.payload as { changes: unknown }).changes])).toEqual([
      [1, [['s', ['total'], 2]]],
      [2, [['s', ['total'], 3]]]
    ])
    expect(await snapshotSeq(store)).toBe(0)
  })

  describe('a compaction that fails', () => {
    const unhandled: unknown[] = []
    const listener = (reason: unknown) => unhandled.push(reason)
    afterEach(() => {
      process.off('unhandledRejection', listener)
    })

    it('is taken again compactEvery later; the changes stay what makes a state durable, and nothing is left unhandled', async () => {
      process.on('unhandledRejection', listener)
      const store = new RefusingStore()
      const d = await begun(store)
      store.refusing = true
      await recordAll(d, [1, 2, 3])
      await landed(d)
      await new Promise((resolve) => setImmediate(resolve))
      expect(unhandled).toEqual([])
      expect(await snapshotSeq(store)).toBe(0)
      store.refusing = false
      await recordAll(d, [4, 5, 6])
      await landed(d)
      expect(await snapshotSeq(store)).toBe(6)
    })
  })
})

/** A MemoryStore whose snapshot writes after the first fail while `refusing`. */
class RefusingStore extends MemoryStore {
  refusing = false

  override saveSnapshot(id: string, snapshot: NewSnapshot): Promise<boolean> {
    if (this.refusing && snapshot.seq > 0) return Promise.reject(new Error('disk full'))
    return super.saveSnapshot(id, snapshot)
  }
}
