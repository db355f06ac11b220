import { describe, expect, it } from 'vitest'
import { fromTransition, type AnyActorLogic, type EventObject, type Snapshot } from 'xstate'
import { MemoryStore, type DurableOptions, type KeeperStore } from '../../../src/index'
import { Durability } from '../../../src/keeper/durable/Durability'
import { readDurableOptions } from '../../../src/keeper/durable/options'
import { FlakyStore } from '../../support/stores'

// The order of a durable keeper's writes, straight on a store: a recovery reads only after the
// writes before it landed, every state of sync snapshot mode is written in turn, settled() waits
// for the newest write, and what is written is xstate's persisted form of the state.

type Add = { type: 'add'; n: number }
type Total = { total: number }
const counter = fromTransition((s: Total, e: Add) => ({ total: s.total + e.n }), { total: 0 })
const state = (total: number) => ({ status: 'active', output: undefined, error: undefined, context: { total } }) as Snapshot<unknown>
const add = (n: number): EventObject => ({ type: 'add', n }) as EventObject
const durable = (store: KeeperStore, options: Partial<DurableOptions> = {}, logic: AnyActorLogic = counter, reportsPersisted = false) =>
  new Durability(logic, readDurableOptions({ store, ...options }, 'b'), reportsPersisted)
const totalOf = (point: { snapshot: Snapshot<unknown> } | undefined) => (point?.snapshot as { context: Total } | undefined)?.context.total
const turn = () => new Promise((resolve) => setImmediate(resolve))

describe('durable write order', () => {
  it.each(['snapshot', 'journal'] as const)('a recovery reads the store only once the writes queued before it have landed (%s mode)', async (mode) => {
    const store = new FlakyStore()
    const d = durable(store, { mode, snapshotEvery: 0 })
    await d.recover(undefined)
    if (mode === 'snapshot') await d.begin(state(0))
    const release = store.hold()
    const held = d.record(add(4), state(4))
    await turn()
    const recovered = d.recover(undefined)
    release()
    await held
    const point = await recovered
    expect(totalOf(point)).toBe(4)
    // And it goes on from there: the next write is the one after it.
    await d.record(add(1), state(5))
    expect(totalOf(await durable(store, { mode, snapshotEvery: 0 }).recover(undefined))).toBe(5)
  })

  it('sync snapshot mode writes every state in turn, even those queued behind a write in flight', async () => {
    const store = new FlakyStore()
    const d = durable(store)
    await d.recover(undefined)
    await d.begin(state(0))
    const saved: number[] = []
    const save = store.saveSnapshot.bind(store)
    store.saveSnapshot = (id, snapshot) => {
      saved.push(snapshot.seq)
      return save(id, snapshot)
    }
    const release = store.hold()
    const writes = [d.record(add(1), state(1)), d.record(add(2), state(3)), d.record(add(3), state(6))]
    release()
    await Promise.all(writes)
    expect(saved).toEqual([1, 2, 3])
    expect(await store.loadSnapshot('b')).toMatchObject({ seq: 3, data: { context: { total: 6 } } })
  })

  it('settled() waits for the newest write, not only for the oldest one still in flight', async () => {
    const store = new FlakyStore()
    const d = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await d.recover(undefined)
    const release = store.hold()
    const first = d.record(add(1), state(1))
    let secondLanded = false
    void d.record(add(2), state(3)).then(() => (secondLanded = true))
    release()
    await first
    await d.settled()
    expect(secondLanded).toBe(true)
  })

  it('a store used for many ids keeps no write chain for an id once its writes have settled', async () => {
    const store = new MemoryStore()
    const chains = (globalThis as unknown as Record<symbol, WeakMap<object, { size: number }>>)[Symbol.for('keepsake.durableTails.v2')]!
    for (let i = 0; i < 20; i++) {
      const d = new Durability(counter, readDurableOptions({ store, id: `id-${i}`, mode: 'journal', snapshotEvery: 0 }, `id-${i}`))
      await d.recover(undefined)
      await d.record(add(i), state(i))
      await d.settled()
    }
    await turn()
    expect(chains.get(store)?.size).toBe(0)
  })

  it.each([
    ['the only id with writes in flight on its store', [] as string[]],
    ['one of several ids with writes in flight on its store', ['other-1', 'other-2']]
  ])("a branch started again under the same id reads the store only after the old one's writes landed: %s", async (_, others) => {
    const store = new FlakyStore()
    const chains = (globalThis as unknown as Record<symbol, WeakMap<object, { size: number }>>)[Symbol.for('keepsake.durableTails.v2')]!
    const of = (id: string) => new Durability(counter, readDurableOptions({ store, id, mode: 'journal', snapshotEvery: 0 }, id))
    const busy = others.map(of)
    for (const d of busy) await d.recover(undefined)
    const old = of('b')
    await old.recover(undefined)
    const release = store.hold()
    const theirs = busy.map((d, i) => d.record(add(i + 1), state(i + 1)))
    const held = [old.record(add(4), state(4)), old.record(add(1), state(5))]
    await turn()
    expect(chains.get(store)?.size).toBe(others.length + 1)
    const recovered = of('b').recover(undefined)
    release()
    await Promise.all([...held, ...theirs])
    expect(totalOf(await recovered)).toBe(5)
    await turn()
    expect(chains.get(store)?.size).toBe(0)
  })

  it('a recovery of a snapshot of the current version writes nothing back', async () => {
    const store = new MemoryStore()
    await store.saveSnapshot('b', { seq: 3, data: state(7) })
    let writes = 0
    const save = store.saveSnapshot.bind(store)
    store.saveSnapshot = (...args) => (writes++, save(...args))
    for (const mode of ['snapshot', 'journal'] as const) expect(totalOf(await durable(store, { mode }).recover(undefined))).toBe(7)
    expect(writes).toBe(0)
  })
})

describe('what a durable keeper writes is the persisted form of the state', () => {
  // A logic whose persisted form is told apart from its live state, as a machine's is.
  const marked: AnyActorLogic = { ...counter, getPersistedSnapshot: (s: Snapshot<unknown>) => ({ ...s, persisted: true }) }

  it.each([
    ['a state the worker made here is persisted before it is written', false, true],
    ['a state an isolated worker reported in persisted form already is written as it is', true, undefined]
  ])('%s', async (_, reportsPersisted, expected) => {
    const persistedOf = async (store: KeeperStore) => ((await store.loadSnapshot('b'))?.data as { persisted?: boolean }).persisted
    const snapshots = new MemoryStore()
    const s = durable(snapshots, {}, marked, reportsPersisted)
    await s.recover(undefined)
    await s.begin(state(0))
    expect(await persistedOf(snapshots)).toBe(expected)
    await s.record(add(1), state(1))
    expect(await persistedOf(snapshots)).toBe(expected)
    await s.mark({ node: 'a' }, 'a', state(1))
    expect(await persistedOf(snapshots)).toBe(expected)

    const journal = new MemoryStore()
    const j = durable(journal, { mode: 'journal', snapshotEvery: 1 }, marked, reportsPersisted)
    await j.recover(undefined)
    await j.record(add(1), state(1))
    await j.settled()
    await turn()
    expect(await persistedOf(journal)).toBe(expected)
  })

  it('a recovered journal is handed to the worker in persisted form', async () => {
    const store = new MemoryStore()
    await store.append('b', [{ type: 'add', payload: { type: 'add', n: 2 } }], 0)
    const point = await durable(store, { mode: 'journal' }, marked).recover(undefined)
    expect(point).toEqual({ kind: 'persisted', snapshot: expect.objectContaining({ persisted: true, context: { total: 2 } }), delays: [] })
  })
})
