import { describe, expect, it } from 'vitest'
import { fromTransition, type AnyActorLogic, type EventObject, type Snapshot } from 'xstate'
import { InvalidOptionError, InvalidRecordError, MemoryStore, RecoveryError, ReplayDivergenceError, SnapshotConflictError, StoreUnavailableError, type DurableOptions, type KeeperStore } from '../../../src/index'
import { Durability } from '../../../src/keeper/durable/Durability'
import { readDurableOptions } from '../../../src/keeper/durable/options'
import { FlakyStore } from '../../support/stores'

// The durable keeper's writes, straight on a store: what lands, in which order, and what a failure leaves.

type Add = { type: 'add'; n: number }
type Total = { total: number }
const counter = fromTransition((s: Total, e: Add) => ({ total: s.total + e.n }), { total: 0 })
const state = (total: number) => ({ status: 'active', output: undefined, error: undefined, context: { total } }) as Snapshot<unknown>
const add = (n: number): EventObject => ({ type: 'add', n }) as EventObject

function durable(store: KeeperStore, options: Partial<DurableOptions> = {}, logic: AnyActorLogic = counter) {
  const d = new Durability(logic, readDurableOptions({ store, ...options }, 'b'))
  const persisted: number[] = []
  const divergences: ReplayDivergenceError[] = []
  d.attach({ persisted: ({ seq }) => persisted.push(seq), divergence: (e) => divergences.push(e) })
  return { d, persisted, divergences }
}

/** Records `n`s one after the other from a total of `from`, each with the state it leaves. */
async function recordAll(d: Durability, ns: number[], from = 0): Promise<void> {
  let total = from
  for (const n of ns) await d.record(add(n), state((total += n)))
}

const totals = async (store: KeeperStore) => (await store.read('b')).map((e) => (e.payload as Add).n)
const snapshotOf = async (store: KeeperStore) => {
  const s = await store.loadSnapshot('b')
  return s && { seq: s.seq, total: (s.data as { context: Total }).context.total }
}

describe('durable writes, journal mode', () => {
  it('appends each event at the next sequence number and tells the branch in order', async () => {
    const store = new MemoryStore()
    const { d, persisted } = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await d.recover(undefined)
    await recordAll(d, [1, 2, 3])
    expect(await totals(store)).toEqual([1, 2, 3])
    expect(persisted).toEqual([1, 2, 3])
    expect(await store.loadSnapshot('b')).toBeUndefined()
    // Without a tags function, an event has no tags.
    expect((await store.read('b')).map((e) => e.tags)).toEqual([[], [], []])
  })

  it('closing or aborting when no batch is open does nothing', async () => {
    const store = new MemoryStore()
    const { d } = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await d.recover(undefined)
    expect(d.closeBatch()).toBeUndefined()
    d.abortBatch()
    await recordAll(d, [1])
    expect(await totals(store)).toEqual([1])
  })

  it('a keepsake error thrown preparing an event is the refusal itself', async () => {
    const own = new InvalidOptionError('tags', 'a tag list', 5)
    const { d } = durable(new MemoryStore(), {
      mode: 'journal',
      tags: () => {
        throw own
      }
    })
    await d.recover(undefined)
    expect(await d.record(add(1), state(1)).catch((e: unknown) => e)).toBe(own)
  })

  it('stores the tags the tags function gives beside each event', async () => {
    const store = new MemoryStore()
    const { d } = durable(store, { mode: 'journal', snapshotEvery: 0, tags: (e) => ((e as Add).n > 1 ? ['big'] : []) })
    await d.recover(undefined)
    await recordAll(d, [1, 2])
    expect((await store.read('b')).map((e) => e.tags)).toEqual([[], ['big']])
  })

  it('an event without tags reaches the store with none given (not an array to read), and a tags function that gives nothing tags none', async () => {
    const store = new MemoryStore()
    const given: unknown[] = []
    const append = store.append.bind(store)
    store.append = (id, events, expectedSeq) => (given.push(...events.map((e) => e.tags)), append(id, events, expectedSeq))
    const { d } = durable(store, { mode: 'journal', snapshotEvery: 0, tags: (e) => ((e as Add).n === 2 ? ['two'] : (e as Add).n === 3 ? (null as unknown as string[]) : undefined) as string[] })
    await d.recover(undefined)
    await recordAll(d, [1, 2, 3])
    expect(given).toEqual([undefined, ['two'], undefined])
    expect((await store.read('b')).map((e) => e.tags)).toEqual([[], ['two'], []])
  })

  it('snapshots when an append reaches or crosses a multiple of snapshotEvery, with the state after its last event', async () => {
    const store = new MemoryStore()
    const { d } = durable(store, { mode: 'journal', snapshotEvery: 3 })
    await d.recover(undefined)
    await recordAll(d, [1, 2])
    await d.settled()
    expect(await snapshotOf(store)).toBeUndefined()
    // One batch of events 3..4 crosses 3: the snapshot is of the state after event 4.
    d.openBatch()
    void d.record(add(3), state(6))
    void d.record(add(4), state(10))
    await d.closeBatch()
    await d.settled()
    await new Promise((resolve) => setImmediate(resolve))
    expect(await snapshotOf(store)).toEqual({ seq: 4, total: 10 })
    await recordAll(d, [5], 10)
    await new Promise((resolve) => setImmediate(resolve))
    expect(await snapshotOf(store)).toEqual({ seq: 4, total: 10 })
    await recordAll(d, [6], 15)
    await new Promise((resolve) => setImmediate(resolve))
    expect(await snapshotOf(store)).toEqual({ seq: 6, total: 21 })
    expect(await totals(store)).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('a batch is one append of all its events; an empty batch writes nothing; an aborted one writes nothing and its calls go on', async () => {
    const store = new FlakyStore()
    const { d, persisted } = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await d.recover(undefined)
    d.openBatch()
    expect(d.closeBatch()).toBeUndefined()
    d.openBatch()
    const first = d.record(add(1), state(1))
    const second = d.record(add(2), state(3))
    expect(store.appends).toBe(0)
    await d.closeBatch()
    await Promise.all([first, second])
    expect(store.appends).toBe(1)
    expect(persisted).toEqual([1, 2])
    d.openBatch()
    const dropped = d.record(add(100), state(103))
    d.abortBatch()
    await dropped
    await recordAll(d, [3], 3)
    expect(await totals(store)).toEqual([1, 2, 3])
    expect(store.appends).toBe(2)
  })

  it('an event that cannot be prepared (its tags function throws) is refused, and so is every record after it until recovery', async () => {
    const store = new MemoryStore()
    const tags = (e: EventObject) => {
      if ((e as Add).n === 2) throw new Error('no tag for 2')
      return []
    }
    const { d } = durable(store, { mode: 'journal', snapshotEvery: 0, tags })
    await d.recover(undefined)
    await recordAll(d, [1])
    const refused = await d.record(add(2), state(3)).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(InvalidRecordError)
    expect(refused).toMatchObject({ path: 'events' })
    expect((refused as Error).message).toContain('values that can be read and persisted')
    expect(await d.record(add(3), state(4)).catch((e: unknown) => e)).toBe(refused)
    d.openBatch()
    expect(await d.record(add(4), state(8)).catch((e: unknown) => e)).toBe(refused)
    expect(d.closeBatch()).toBeUndefined()
    await d.recover(undefined)
    await recordAll(d, [5], 1)
    expect(await totals(store)).toEqual([1, 5])
  })

  it('a write that fails fails every write queued after it; recovery reads the truth back and writes go on', async () => {
    const store = new FlakyStore()
    const { d } = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await d.recover(undefined)
    await recordAll(d, [1])
    store.down = true
    const failed = d.record(add(2), state(3)).catch((e: unknown) => e)
    const after = d.record(add(3), state(6)).catch((e: unknown) => e)
    const error = await failed
    store.down = false
    expect(error).toBeInstanceOf(Error)
    expect(await after).toBe(error)
    expect(await d.record(add(4), state(10)).catch((e: unknown) => e)).toBe(error)
    await d.recover(undefined)
    await recordAll(d, [7], 1)
    expect(await totals(store)).toEqual([1, 7])
  })

  it('a write queued before a recovery does not run after it', async () => {
    const store = new FlakyStore()
    const { d } = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await d.recover(undefined)
    const release = store.hold()
    const inFlight = d.record(add(1), state(1))
    const queued = d.record(add(2), state(3)).catch((e: unknown) => e)
    // The first write is at the store (held), the second queued behind it.
    await new Promise((resolve) => setImmediate(resolve))
    const recovered = d.recover(undefined)
    release()
    await inFlight
    const error = await queued
    expect(error).toBeInstanceOf(RecoveryError)
    expect((error as Error).message).toContain('the write was queued before a recovery')
    await recovered
    expect(await totals(store)).toEqual([1])
  })

  it('a write queued before a recovery, behind one that fails, is refused as queued before the recovery', async () => {
    const store = new FlakyStore()
    const { d } = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await d.recover(undefined)
    const release = store.hold()
    const inFlight = d.record(add(1), state(1)).catch((e: unknown) => e)
    const queued = d.record(add(2), state(3)).catch((e: unknown) => e)
    await new Promise((resolve) => setImmediate(resolve))
    const recovered = d.recover(undefined).catch((e: unknown) => e)
    store.down = true
    release()
    expect(await inFlight).toBeInstanceOf(StoreUnavailableError)
    const error = await queued
    expect(error).toBeInstanceOf(RecoveryError)
    expect((error as Error).message).toContain('the write was queued before a recovery')
    store.down = false
    await recovered
  })

  it('settled() waits for the writes queued so far, failed ones too', async () => {
    const store = new FlakyStore()
    const { d } = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await d.recover(undefined)
    const release = store.hold()
    let landed = false
    void d.record(add(1), state(1)).then(() => (landed = true))
    const settled = d.settled()
    release()
    await settled
    expect(landed).toBe(true)
    store.down = true
    const failing = d.record(add(2), state(3)).catch(() => 'failed')
    await d.settled()
    expect(await failing).toBe('failed')
  })

  it.each([
    [true, 1],
    [false, 0]
  ])('verifyReplay %s: a state its events do not replay to is reported at the snapshot', async (verifyReplay, reported) => {
    const store = new MemoryStore()
    const { d, divergences } = durable(store, { mode: 'journal', snapshotEvery: 2, verifyReplay })
    await d.recover(undefined)
    await d.begin(state(0))
    await d.record(add(1), state(1))
    // What the worker reported after the second event: not what 0 + 1 + 1 replays to.
    await d.record(add(1), state(5))
    await new Promise((resolve) => setImmediate(resolve))
    expect(divergences).toHaveLength(reported)
    if (reported) expect(divergences[0]).toMatchObject({ seq: 2 })
  })

  it('batched: the events go through group commit (appendBatch), each at the next sequence number; sync: one append each', async () => {
    const store = new FlakyStore()
    const { d, persisted } = durable(store, { mode: 'journal', snapshotEvery: 0, durability: 'batched' })
    await d.recover(undefined)
    await recordAll(d, [1, 2, 3])
    expect((await store.read('b')).map((e) => [e.seq, (e.payload as Add).n])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3]
    ])
    expect(persisted).toEqual([1, 2, 3])
    expect({ appends: store.appends, batches: store.batches }).toEqual({ appends: 0, batches: 3 })
    const sync = new FlakyStore()
    const s = durable(sync, { mode: 'journal', snapshotEvery: 0 })
    await s.d.recover(undefined)
    await recordAll(s.d, [1, 2])
    expect({ appends: sync.appends, batches: sync.batches }).toEqual({ appends: 2, batches: 0 })
  })

  it('a store whose write throws instead of rejecting fails that record, and every one after it until recovery', async () => {
    const store = new MemoryStore()
    const { d } = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await d.recover(undefined)
    const refused = new Error('thrown, not rejected')
    const append = store.append.bind(store)
    store.append = () => {
      throw refused
    }
    expect(await d.record(add(1), state(1)).catch((e: unknown) => e)).toBe(refused)
    store.append = append
    expect(await d.record(add(2), state(3)).catch((e: unknown) => e)).toBe(refused)
    await d.recover(undefined)
    await recordAll(d, [5])
    expect(await totals(store)).toEqual([5])
  })

  it('a replay that throws where the live worker did not is a divergence', async () => {
    const store = new MemoryStore()
    // This logic throws on a negative n; the worker (another logic, say) reported a state for it.
    const strict = fromTransition((s: Total, e: Add) => {
      if (e.n < 0) throw new Error('no negative n')
      return { total: s.total + e.n }
    }, { total: 0 })
    const { d, divergences } = durable(store, { mode: 'journal', snapshotEvery: 1, verifyReplay: true }, strict)
    await d.recover(undefined)
    await d.begin(state(0))
    await d.record(add(-1), state(-1))
    await new Promise((resolve) => setImmediate(resolve))
    expect(divergences.map((e) => e.seq)).toEqual([1])
  })

  it('a logic that replays to the same state is not reported', async () => {
    const store = new MemoryStore()
    const { d, divergences } = durable(store, { mode: 'journal', snapshotEvery: 2 })
    await d.recover(undefined)
    await d.begin(state(0))
    await recordAll(d, [1, 2, 3, 4])
    await new Promise((resolve) => setImmediate(resolve))
    expect(await snapshotOf(store)).toEqual({ seq: 4, total: 10 })
    expect(divergences).toEqual([])
  })
})

describe('durable writes, snapshot mode', () => {
  it('each state is the next snapshot, fenced on the one before; begin fails if another writer saved one meanwhile', async () => {
    const store = new MemoryStore()
    const { d } = durable(store)
    await d.recover(undefined)
    await d.begin(state(0))
    await recordAll(d, [1, 2])
    expect(await snapshotOf(store)).toEqual({ seq: 2, total: 3 })
    const other = durable(store).d
    await expect(other.begin(state(9))).rejects.toBeInstanceOf(SnapshotConflictError)
    const second = durable(store).d
    await second.recover(undefined)
    await second.record(add(5), state(8))
    expect(await snapshotOf(store)).toEqual({ seq: 3, total: 8 })
    await expect(d.record(add(1), state(4))).rejects.toBeInstanceOf(SnapshotConflictError)
  })

  it('a batch writes only its last state, once', async () => {
    const store = new MemoryStore()
    const { d } = durable(store)
    await d.recover(undefined)
    await d.begin(state(0))
    d.openBatch()
    void d.record(add(1), state(1))
    void d.record(add(2), state(3))
    await d.closeBatch()
    expect(await snapshotOf(store)).toEqual({ seq: 1, total: 3 })
  })

  it('batched: while one write is in flight only the newest state waits, and the calls it covers resolve with it', async () => {
    const store = new FlakyStore()
    const { d } = durable(store, { durability: 'batched' })
    await d.recover(undefined)
    await d.begin(state(0))
    const release = store.hold()
    const first = d.record(add(1), state(1))
    const second = d.record(add(2), state(3))
    const third = d.record(add(3), state(6))
    const settled = d.settled()
    release()
    // settled() waits for the state that waited behind the write in flight too.
    await settled
    expect(await snapshotOf(store)).toEqual({ seq: 2, total: 6 })
    await Promise.all([first, second, third])
    await d.record(add(4), state(10))
    expect(await snapshotOf(store)).toEqual({ seq: 3, total: 10 })
  })

  it('batched: a failed write rejects the calls it covers', async () => {
    const store = new FlakyStore()
    const { d } = durable(store, { durability: 'batched' })
    await d.recover(undefined)
    store.down = true
    const outcome = await d.record(add(1), state(1)).catch((e: unknown) => e)
    expect(outcome).toBeInstanceOf(Error)
    expect(await store.loadSnapshot('b').catch(() => 'down')).toBe('down')
  })

  it('a state that cannot be persisted is refused as snapshot.data, and nothing after it is written', async () => {
    const store = new MemoryStore()
    const unpersistable = { ...counter, getPersistedSnapshot: () => { throw new Error('no persisting') } } as AnyActorLogic
    const { d } = durable(store, {}, unpersistable)
    await d.recover(undefined)
    const refused = await d.record(add(1), state(1)).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(InvalidRecordError)
    expect(refused).toMatchObject({ path: 'snapshot.data' })
    expect(await d.record(add(2), state(3)).catch((e: unknown) => e)).toBe(refused)
    expect(await store.loadSnapshot('b')).toBeUndefined()
  })
})
