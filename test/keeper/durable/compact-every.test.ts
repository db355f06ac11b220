import { describe, expect, it } from 'vitest'
import { assign, setup } from 'xstate'
import { call, JournalConflictError, MemoryStore, migrateStore, RecoveryError, SnapshotConflictError, startBranch, type AnyBranch, type KeeperStore, type NewSnapshot } from '../../../src/index'
import { CHANGE_RECORD } from '../../../src/keeper/durable/changeRecords'
import { openedForEach } from '../../support/cleanup'

// Snapshot mode with compactEvery: each message's state is appended to the id's journal as its
// changes, and the whole state saved every compactEvery changes. What a start recovers from the
// newest whole state and the changes after it must equal the live state exactly: across
// restarts, whatever the changes did (set, delete, a key set to undefined, arrays grown and
// cut), and when a compaction was lost (the process died while it was under way).

const { open, stop } = openedForEach<AnyBranch>()

interface Item {
  readonly id: number
  readonly name: string
}
interface Shop {
  items: Item[]
  count: number
  note?: string | undefined
  meta: Record<string, number>
}
type ShopEvent =
  | { type: 'add'; name: string }
  | { type: 'rename'; at: number; name: string }
  | { type: 'drop' }
  | { type: 'note'; note: string | undefined }
  | { type: 'meta'; key: string; value: number | undefined }

const shop = setup({ types: { context: {} as Shop, events: {} as ShopEvent, input: {} as { items: number } } }).createMachine({
  context: ({ input }) => ({ items: Array.from({ length: input.items }, (_, id) => ({ id, name: `item ${id}` })), count: 0, meta: {} }),
  on: {
    add: { actions: assign({ items: ({ context, event }) => [...context.items, { id: context.items.length, name: event.name }], count: ({ context }) => context.count + 1 }) },
    rename: { actions: assign({ items: ({ context, event }) => context.items.map((item, i) => (i === event.at ? { ...item, name: event.name } : item)) }) },
    drop: { actions: assign({ items: ({ context }) => context.items.slice(0, -1) }) },
    note: { actions: assign({ note: ({ event }) => event.note }) },
    meta: {
      actions: assign({
        meta: ({ context, event }) => {
          const { [event.key]: _gone, ...rest } = context.meta
          return event.value === undefined ? rest : { ...rest, [event.key]: event.value }
        }
      })
    }
  }
})

const EVENTS: ShopEvent[] = [
  { type: 'rename', at: 3, name: 'three' },
  { type: 'note', note: 'hello' },
  { type: 'add', name: 'new' },
  { type: 'meta', key: 'a', value: 1 },
  { type: 'note', note: undefined }, // a key set to undefined: a whole snapshot's JSON leaves it out
  { type: 'drop' },
  { type: 'drop' },
  { type: 'meta', key: 'b', value: 2 },
  { type: 'meta', key: 'a', value: undefined }, // a key deleted
  { type: 'rename', at: 0, name: 'zero' },
  { type: 'add', name: 'newer' }
]

const start = (store: KeeperStore, compactEvery = 4) =>
  open(startBranch({ logic: shop, name: 'shop', input: { items: 50 }, durable: { store, mode: 'snapshot', compactEvery } }))

/** Starts the id once with each `compactEvery` (0: without), one after the other: each must recover `live`. */
async function expectEveryStart(store: KeeperStore, live: unknown, settings: readonly number[] = [0, 4]): Promise<void> {
  for (const compactEvery of settings) {
    const branch = await start(store, compactEvery)
    expect(branch.state()).toEqual(live)
    await stop(branch)
  }
}

/** What a whole snapshot of `state` keeps: its JSON. */
const asStored = (state: unknown) => JSON.parse(JSON.stringify(state)) as unknown

describe('snapshot mode with compactEvery', () => {
  it('recovers each state exactly from the newest whole snapshot and the changes after it, across restarts', async () => {
    const store = new MemoryStore()
    let branch = await start(store)
    for (const event of EVENTS) {
      await call(branch, event)
      const live = asStored(branch.state())
      await stop(branch)
      branch = await start(store)
      expect(branch.state()).toEqual(live)
    }
    // 11 states written as changes after the first state (seq 0), a whole one every 4 (from each start's own count).
    expect(await store.lastSeq('shop')).toBe(EVENTS.length)
    expect((await store.loadSnapshot('shop'))?.seq).toBeGreaterThan(0)
  })

  it('writes a change, not the state: a record holds what changed', async () => {
    const store = new MemoryStore()
    const branch = await start(store, 100)
    await call(branch, { type: 'rename', at: 3, name: 'three' })
    const [record] = await store.read('shop', { fromSeq: 1 })
    expect(record?.type).toBe(CHANGE_RECORD)
    expect(JSON.stringify(record?.payload).length).toBeLessThan(400)
    expect(JSON.stringify((await store.loadSnapshot('shop'))?.data).length).toBeGreaterThan(1000)
  })

  it('compacts every compactEvery changes: the whole state saved at the seq of its last change', async () => {
    const store = new MemoryStore()
    const branch = await start(store, 4)
    for (const event of EVENTS.slice(0, 8)) await call(branch, event)
    await stop(branch) // its compactions have landed
    const snapshot = await store.loadSnapshot('shop')
    expect(snapshot?.seq).toBe(8)
    const again = await start(store, 4)
    expect(asStored((snapshot?.data as unknown as { context: Shop }).context)).toEqual(asStored(again.state()))
  })

  it('a compaction lost mid-write (the process died): the start recovers from the snapshot before it and every change since', async () => {
    const store = new LosingStore()
    let branch = await start(store, 3)
    store.losing = true // every compaction from now on is lost
    for (const event of EVENTS) await call(branch, event)
    const live = asStored(branch.state())
    expect((await store.loadSnapshot('shop'))?.seq).toBe(0)
    await stop(branch)
    store.losing = false
    branch = await start(store, 3)
    expect(branch.state()).toEqual(live)
    // It goes on, compacting again, and the next start agrees.
    for (const event of EVENTS.slice(0, 4)) await call(branch, event)
    const later = asStored(branch.state())
    await stop(branch)
    expect((await store.loadSnapshot('shop'))?.seq).toBeGreaterThan(EVENTS.length)
    expect((await start(store, 3)).state()).toEqual(later)
  })

  it('a new version applies the changes of the old one to its state, then migrates it, and writes it back whole', async () => {
    const store = new MemoryStore()
    const v1 = await start(store, 100)
    for (const event of EVENTS.slice(0, 3)) await call(v1, event)
    const before = asStored(v1.state()) as Shop
    await stop(v1)
    const v2Options = { logic: shop, name: 'shop', input: { items: 50 }, durable: { store, mode: 'snapshot' as const, compactEvery: 100, version: 2, migrations: { 2: (s: { context: Shop }) => ({ ...s, context: { ...s.context, count: s.context.count + 1000 } }) } } }
    let v2 = await open(startBranch(v2Options))
    expect(v2.state()).toEqual({ ...before, count: before.count + 1000 })
    expect(await store.loadSnapshot('shop')).toMatchObject({ seq: 3, version: 2 })
    await call(v2, EVENTS[3] as ShopEvent)
    const live = asStored(v2.state())
    await stop(v2)
    v2 = await open(startBranch(v2Options))
    expect(v2.state()).toEqual(live)
  })

  it('migrateStore takes the change records after the snapshot into the state it migrates, and writes it whole at the last one', async () => {
    const store = new MemoryStore()
    const v1 = await start(store, 100)
    for (const event of EVENTS.slice(0, 3)) await call(v1, event)
    const before = asStored(v1.state()) as Shop
    await stop(v1)
    const target = { logic: shop, version: 2, migrations: { 2: (s: { context: Shop }) => ({ ...s, context: { ...s.context, count: s.context.count + 1000 } }) } }
    expect(await migrateStore(store, target)).toMatchObject({ migrated: ['shop'], failed: [] })
    expect(await store.loadSnapshot('shop')).toMatchObject({ seq: 0, version: 1 }) // a dry run writes nothing
    expect(await migrateStore(store, { ...target, apply: true })).toMatchObject({ migrated: ['shop'], failed: [] })
    expect(await store.loadSnapshot('shop')).toMatchObject({ seq: 3, version: 2 })
    const v2 = await open(startBranch({ logic: shop, name: 'shop', input: { items: 50 }, durable: { store, mode: 'snapshot', compactEvery: 100, ...target } }))
    expect(v2.state()).toEqual({ ...before, count: before.count + 1000 })
    await call(v2, EVENTS[3] as ShopEvent)
    expect((await store.read('shop', { fromSeq: 4 }))[0]).toMatchObject({ seq: 4, type: CHANGE_RECORD, version: 2 })
  })

  it('migrateStore reports a change record that does not fit its snapshot as failed, naming its seq, and writes nothing', async () => {
    const store = new MemoryStore()
    const v1 = await start(store, 100)
    await call(v1, EVENTS[0] as ShopEvent)
    await stop(v1)
    await store.append('shop', [{ type: CHANGE_RECORD, payload: { type: CHANGE_RECORD, state: {}, changes: [['s', ['nothing', 'here'], 1]] }, version: 1 }], 1)
    const report = await migrateStore(store, { logic: shop, version: 2, migrations: { 2: (s: unknown) => s }, apply: true })
    expect(report.failed).toHaveLength(1)
    expect(report.failed[0]).toMatchObject({ branchId: 'shop', seq: 2, message: expect.stringContaining("its change records can't be taken in (Could not recover") })
    expect(await store.loadSnapshot('shop')).toMatchObject({ seq: 0, version: 1 })
  })

  it('a second writer on the id is refused by the journal, like an event', async () => {
    const store = new MemoryStore()
    const first = await start(store)
    await call(first, EVENTS[0] as ShopEvent)
    await store.append('shop', [{ type: CHANGE_RECORD, payload: { type: CHANGE_RECORD, state: {}, changes: [] }, version: 1 }], 1)
    expect(await call(first, EVENTS[1] as ShopEvent).catch((e: unknown) => e)).toBeInstanceOf(JournalConflictError)
  })

  it('compactEvery turned off and on again across starts of one id: every start recovers the newest state, and goes on writing', async () => {
    const store = new MemoryStore()
    // Each phase's events, with compactEvery set as given: 0 writes whole snapshots only.
    const phases: [number, ShopEvent[]][] = [[4, EVENTS.slice(0, 6)], [0, EVENTS.slice(6, 8)], [4, EVENTS.slice(8, 10)], [0, EVENTS.slice(10)], [3, EVENTS.slice(0, 2)]]
    let live: unknown = undefined
    for (const [compactEvery, events] of phases) {
      const branch = await start(store, compactEvery)
      if (live !== undefined) expect(branch.state()).toEqual(live)
      for (const event of events) await call(branch, event)
      live = asStored(branch.state())
      await stop(branch)
    }
    await expectEveryStart(store, live)
  })

  it('a writer with compactEvery and one without on one id: the one that started last fences the other out', async () => {
    const named = (store: KeeperStore, name: string, compactEvery: number) =>
      open(startBranch({ logic: shop, name, input: { items: 50 }, durable: { store, id: 'shop', mode: 'snapshot', compactEvery } }))
    // [first, second]: compactEvery of the writer that starts first, and of the one that starts second.
    for (const [first, second] of [[0, 4], [4, 0]] as const) {
      const store = new MemoryStore()
      const older = await named(store, 'older', first)
      await call(older, EVENTS[0] as ShopEvent)
      const newer = await named(store, 'newer', second)
      await call(newer, EVENTS[1] as ShopEvent)
      const live = asStored(newer.state())
      // The older one's next write is refused: by the snapshot it would replace, or by the journal's end.
      const refused = await call(older, EVENTS[2] as ShopEvent).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(first === 0 ? SnapshotConflictError : JournalConflictError)
      await stop(older)
      await stop(newer)
      await expectEveryStart(store, live)
    }
  })

  it('a start without compactEvery that died between taking the journal over and saving: the next start finds every change', async () => {
    const store = new LosingStore()
    const branch = await start(store, 100)
    for (const event of EVENTS.slice(0, 5)) await call(branch, event)
    const live = asStored(branch.state())
    await stop(branch)
    store.failing = true // the takeover's save fails, after its record was appended
    const died = await startBranch({ logic: shop, name: 'died', input: { items: 50 }, durable: { store, id: 'shop', mode: 'snapshot' } }).catch((e: unknown) => e)
    expect(died).toMatchObject({ message: 'the process died' })
    expect(await store.lastSeq('shop')).toBe(6)
    store.failing = false
    await expectEveryStart(store, live, [0, 100])
  })

  it('a new version without compactEvery that died between taking the journal over and saving: the next start migrates every change', async () => {
    const store = new LosingStore()
    const v1 = await start(store, 100)
    for (const event of EVENTS.slice(0, 5)) await call(v1, event)
    const before = asStored(v1.state()) as Shop
    await stop(v1)
    const v2 = (compactEvery: number) => ({ logic: shop, name: `v2-${compactEvery}`, input: { items: 50 }, durable: { store, id: 'shop', mode: 'snapshot' as const, compactEvery, version: 2, migrations: { 2: (s: { context: Shop }) => ({ ...s, context: { ...s.context, count: s.context.count + 1000 } }) } } })
    store.failing = true
    expect(await startBranch(v2(0)).catch((e: unknown) => e)).toMatchObject({ message: 'the process died' })
    store.failing = false
    for (const compactEvery of [0, 100]) {
      const again = await open(startBranch(v2(compactEvery)))
      expect(again.state()).toEqual({ ...before, count: before.count + 1000 })
      await stop(again)
    }
  })

  it('snapshot mode refuses to start on events journal mode wrote after the snapshot, rather than drop them', async () => {
    const store = new MemoryStore()
    const journal = await open(startBranch({ logic: shop, name: 'shop', input: { items: 50 }, durable: { store, mode: 'journal', snapshotEvery: 100 } }))
    await call(journal, EVENTS[0] as ShopEvent)
    await stop(journal)
    const error = await startBranch({ logic: shop, name: 'shop', input: { items: 50 }, durable: { store, mode: 'snapshot' } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RecoveryError)
    expect(error).toMatchObject({ seq: 1, message: expect.stringMatching(/start it in journal mode/) as unknown })
  })

  it('snapshot mode starts on an id journal mode wrote when its snapshot holds the last event', async () => {
    const store = new MemoryStore()
    const journal = await open(startBranch({ logic: shop, name: 'shop', input: { items: 50 }, durable: { store, mode: 'journal', snapshotEvery: 1 } }))
    await call(journal, EVENTS[0] as ShopEvent)
    const live = asStored(journal.state())
    await stop(journal)
    expect((await store.loadSnapshot('shop'))?.seq).toBe(1)
    const branch = await start(store, 0)
    expect(branch.state()).toEqual(live)
  })

  it('a writer without compactEvery that starts after one with it compacted at its last change still fences it out', async () => {
    const store = new MemoryStore()
    const changes = await open(startBranch({ logic: shop, name: 'changes', input: { items: 50 }, durable: { store, id: 'shop', mode: 'snapshot', compactEvery: 1 } }))
    await call(changes, EVENTS[0] as ShopEvent)
    // The compaction of its only change has landed: the snapshot is at the journal's last state.
    await expect.poll(async () => (await store.loadSnapshot('shop'))?.seq).toBe(1)
    const whole = await open(startBranch({ logic: shop, name: 'whole', input: { items: 50 }, durable: { store, id: 'shop', mode: 'snapshot' } }))
    await call(whole, EVENTS[1] as ShopEvent)
    expect(await call(changes, EVENTS[2] as ShopEvent).catch((e: unknown) => e)).toBeInstanceOf(JournalConflictError)
  })

  it('a journal holding an event where a change record belongs fails the start, naming it', async () => {
    const store = new MemoryStore()
    await stop(await start(store))
    await store.append('shop', [{ type: 'add', payload: { type: 'add', name: 'x' }, version: 1 }], 0)
    const error = await startBranch({ logic: shop, name: 'shop', input: { items: 50 }, durable: { store, mode: 'snapshot', compactEvery: 4 } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RecoveryError)
    expect(error).toMatchObject({ seq: 1 })
  })
})

/**
 * A MemoryStore whose snapshot writes after the first are lost while `losing`
 * (as if the process died during each), or fail while `failing` (as if it
 * died before each).
 */
class LosingStore extends MemoryStore {
  losing = false
  failing = false

  override saveSnapshot(id: string, snapshot: NewSnapshot): Promise<boolean> {
    if (this.failing && snapshot.seq > 0) return Promise.reject(new Error('the process died'))
    if (this.losing && snapshot.seq > 0) return new Promise(() => {})
    return super.saveSnapshot(id, snapshot)
  }
}
