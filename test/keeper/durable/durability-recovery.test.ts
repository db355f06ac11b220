import { describe, expect, it } from 'vitest'
import { fromTransition, type EventObject, type Snapshot } from 'xstate'
import { CorruptRecordError, MemoryStore, RecoveryError, StoreUnavailableError, type DurableOptions, type KeeperStore, type NewEvent } from '../../../src/index'
import { Durability } from '../../../src/keeper/durable/Durability'
import { readDurableOptions } from '../../../src/keeper/durable/options'

// Recovery as the durable keeper does it, straight on a store: what it brings back, and what it refuses (naming the record).

type AddEvent = { type: 'add'; n: number } | { type: 'boom' }
const counter = fromTransition(
  (s: { total: number; adds: number }, e: AddEvent) => {
    if (e.type === 'boom') throw new Error('cannot replay boom')
    return { total: s.total + e.n, adds: s.adds + 1 }
  },
  ({ input }: { input: unknown }) => ({ total: typeof input === 'number' ? input : 0, adds: 0 })
)

const durability = (store: KeeperStore, options: Partial<DurableOptions> = {}) => new Durability(counter, readDurableOptions({ store, mode: 'journal', ...options }, 'b'))
const add = (n: number, version = 1): NewEvent => ({ type: 'add', payload: { type: 'add', n }, version })
const contextOf = (point: { snapshot: Snapshot<unknown> } | undefined) => (point?.snapshot as { context?: unknown } | undefined)?.context

/** What `recover` rejected with (it must reject). */
async function refusal(run: Promise<unknown>): Promise<RecoveryError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(RecoveryError)
  return error as RecoveryError
}

/** A store that is a MemoryStore without the optional `readPayloads`, as a store of one's own may be. */
function withoutReadPayloads(inner: MemoryStore): KeeperStore {
  const methods = ['append', 'appendBatch', 'read', 'lastSeq', 'saveSnapshot', 'loadSnapshot', 'delete', 'listSnapshots', 'queryByTag'] as const
  const store: Record<string, unknown> = {}
  for (const m of methods) store[m] = (...args: unknown[]) => (inner[m] as (...a: unknown[]) => unknown).apply(inner, args)
  return store as unknown as KeeperStore
}

describe('durable recovery', () => {
  it.each(['snapshot', 'journal'] as const)('finds nothing for an id the store has never seen (%s mode)', async (mode) => {
    expect(await durability(new MemoryStore(), { mode }).recover(5)).toBeUndefined()
  })

  it('replays a journal longer than one page (10,000 events) from the start', async () => {
    const store = new MemoryStore()
    await store.append('b', Array.from({ length: 10_001 }, (_, i) => add(i + 1)), 0)
    const point = await durability(store, { snapshotEvery: 0 }).recover(0)
    expect(point?.kind).toBe('persisted')
    expect(contextOf(point)).toEqual({ total: (10_001 * 10_002) / 2, adds: 10_001 })
  })

  it('replays from the input when the journal has no snapshot, and from the snapshot alone when no event follows it', async () => {
    const store = new MemoryStore()
    await store.append('b', [add(1), add(2)], 0)
    expect(contextOf(await durability(store).recover(100))).toEqual({ total: 103, adds: 2 })
    await store.saveSnapshot('b', { seq: 2, data: { status: 'active', context: { total: 50, adds: 2 } } })
    expect(contextOf(await durability(store).recover(100))).toEqual({ total: 50, adds: 2 })
  })

  it('reads a store without readPayloads through read, to the same state', async () => {
    const inner = new MemoryStore()
    await inner.append('b', [add(4), add(5)], 0)
    expect(contextOf(await durability(withoutReadPayloads(inner)).recover(0))).toEqual({ total: 9, adds: 2 })
  })

  it('goes on after the last event recovered: the next record is the next sequence number', async () => {
    const store = new MemoryStore()
    await store.append('b', [add(1), add(2), add(3)], 0)
    const d = durability(store, { snapshotEvery: 0 })
    await d.recover(0)
    await d.record({ type: 'add', n: 4 } as EventObject, { status: 'active', output: undefined, error: undefined, context: { total: 10, adds: 4 } } as Snapshot<unknown>)
    expect((await store.read('b')).map((e) => e.seq)).toEqual([1, 2, 3, 4])
  })

  it.each([
    ['null', null],
    ['a string', 'add'],
    ['an object whose type is not a string', { type: 5 }]
  ])('refuses a stored event that is %s, naming its sequence number', async (_, payload) => {
    const store = new MemoryStore()
    await store.append('b', [add(1), { type: 'add', payload, version: 1 }], 0)
    const error = await refusal(durability(store).recover(0))
    expect(error).toMatchObject({ branchId: 'b', seq: 2 })
    expect(error.message).toBe('Could not recover "b" at sequence 2: the stored event is not an event object. Nothing was changed in the store.')
  })

  it('refuses an event of a newer version than the logic, and an older one without an adapter', async () => {
    const store = new MemoryStore()
    await store.append('b', [add(1, 3)], 0)
    const newer = await refusal(durability(store, { version: 2 }).recover(0))
    expect(newer.message).toContain("it has version 3, newer than this logic's 2: run the newer logic")
    expect(newer.seq).toBe(1)
    const older = await refusal(durability(store, { version: 4 }).recover(0))
    expect(older.message).toContain('it has version 3 and no adapter upgrades it to 4')
  })

  it('an adapter upgrades an older event into one, several or no events; one that throws is named with its cause', async () => {
    const store = new MemoryStore()
    await store.append('b', [add(1), add(2, 2), add(3), add(4, 2)], 0)
    const split = (event: EventObject, version: number): EventObject | readonly EventObject[] => {
      const n = (event as unknown as { n: number }).n
      if (version !== 1) throw new Error(`unknown version ${version}`)
      return n === 3 ? [] : [event, { type: 'add', n: n * 10 } as EventObject]
    }
    expect(contextOf(await durability(store, { version: 2, adapter: split }).recover(0))).toEqual({ total: 1 + 10 + 2 + 4, adds: 4 })
    const failing = await refusal(durability(store, { version: 3, adapter: split }).recover(0))
    expect(failing.seq).toBe(2)
    expect(failing.message).toContain('the adapter could not upgrade version 2 (Error: unknown version 2)')
    expect(failing.cause).toBeInstanceOf(Error)
  })

  it('an event the logic throws on is named with its cause', async () => {
    const store = new MemoryStore()
    await store.append('b', [add(1), { type: 'boom', payload: { type: 'boom' }, version: 1 }], 0)
    const error = await refusal(durability(store).recover(0))
    expect(error.seq).toBe(2)
    expect(error.message).toContain('the logic threw replaying it (Error: cannot replay boom)')
  })

  it('a corrupt record fails recovery naming it, the store\'s error its cause; any other store error is passed on as it is', async () => {
    const inner = new MemoryStore()
    await inner.append('b', [add(1)], 0)
    const corrupt = new CorruptRecordError('b', 1, 'event', new SyntaxError('bad JSON'))
    const damaged = Object.assign(withoutReadPayloads(inner), { read: () => Promise.reject(corrupt) })
    const error = await refusal(durability(damaged).recover(0))
    expect(error.seq).toBe(1)
    expect(error.cause).toBe(corrupt)
    expect(error.message).toContain('at sequence 1: its stored event is corrupt')
    const down = new StoreUnavailableError('test', 'read', new Error('refused'))
    const unreachable = Object.assign(withoutReadPayloads(inner), { read: () => Promise.reject(down) })
    expect(await durability(unreachable).recover(0).catch((e: unknown) => e)).toBe(down)
  })

  it("a snapshot the logic can't restore is named with why", async () => {
    const store = new MemoryStore()
    await store.saveSnapshot('b', { seq: 4, data: { status: 'active', context: [1] } })
    for (const mode of ['snapshot', 'journal'] as const) {
      const error = await refusal(durability(store, { mode }).recover(0))
      expect(error.seq).toBe(4)
      expect(error.message).toContain("the stored snapshot can't be restored by this logic: its context is an array, where the logic's initial context is an object")
    }
  })

  it("a snapshot the logic's own restore refuses is named, with what it threw", async () => {
    const store = new MemoryStore()
    await store.saveSnapshot('b', { seq: 2, data: { status: 'active', context: { total: 1, adds: 1 } } })
    const picky = { ...counter, restoreSnapshot: () => { throw new Error('not mine') } }
    for (const mode of ['snapshot', 'journal'] as const) {
      const error = await refusal(new Durability(picky, readDurableOptions({ store, mode }, 'b')).recover(0))
      expect(error.seq).toBe(2)
      expect(error.message).toContain("the stored snapshot doesn't fit the logic (Error: not mine)")
    }
  })

  it.each(['snapshot', 'journal'] as const)('brings a stored snapshot back as a persisted resume point with no delays to reschedule (%s mode)', async (mode) => {
    const store = new MemoryStore()
    await store.saveSnapshot('b', { seq: 1, data: { status: 'active', context: { total: 3, adds: 1 } } })
    expect(await durability(store, { mode }).recover(0)).toEqual({
      kind: 'persisted',
      snapshot: expect.objectContaining({ status: 'active', context: { total: 3, adds: 1 } }),
      delays: []
    })
  })

  it('names the first missing event of a gap and the one stored after it, and the end of a journal cut short', async () => {
    const store = new MemoryStore()
    await store.append('b', [add(1), add(2), add(3), add(4)], 0)
    const cut = (events: number[]) => Object.assign(withoutReadPayloads(store), {
      read: async (id: string, options: { fromSeq?: number }) => (await store.read(id, options)).filter((e) => events.includes(e.seq))
    })
    const gap = await refusal(durability(cut([1, 3, 4])).recover(0))
    expect(gap.seq).toBe(2)
    expect(gap.message).toContain('the journal has no event 2 (the next one stored is 3)')
    const end = await refusal(durability(cut([1, 2])).recover(0))
    expect(end.seq).toBe(3)
    expect(end.message).toContain('the journal ends at 4 but has no event 3')
  })

  it('a journal with no snapshot that the logic cannot even start from (its initial state throws) is named, without a sequence number; snapshot mode with nothing stored does not run it', async () => {
    const store = new MemoryStore()
    await store.append('b', [add(1)], 0)
    const unstartable = fromTransition((s: number) => s, () => {
      throw new Error('no initial state')
    })
    const error = await refusal(new Durability(unstartable, readDurableOptions({ store, mode: 'journal' }, 'b')).recover(0))
    expect(error.seq).toBeUndefined()
    expect(error.message).toContain('the logic could not make the initial state its journal starts from (Error: no initial state)')
    // In snapshot mode, an id with nothing stored is recovered without running the logic at all.
    expect(await new Durability(unstartable, readDurableOptions({ store: new MemoryStore(), mode: 'snapshot' }, 'b')).recover(0)).toBeUndefined()
  })
})
