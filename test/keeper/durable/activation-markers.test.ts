import { describe, expect, it } from 'vitest'
import { fromTransition, type EventObject, type Snapshot } from 'xstate'
import { InvalidRecordError, JournalConflictError, MemoryStore, SnapshotConflictError, type DurableOptions, type KeeperStore } from '../../../src/index'
import { Durability } from '../../../src/keeper/durable/Durability'
import { ACTIVATION_MARKER, isActivationMarker } from '../../../src/keeper/durable/journal'
import { readDurableOptions } from '../../../src/keeper/durable/options'

// Activation markers (`Durability.mark`), straight on a store: what a new writer of an id writes
// first, what it stamps on its later events, what recovery makes of them, and how a former writer
// of the id is fenced off by them.

type Add = { type: 'add'; n: number }
type Total = { total: number }
const counter = fromTransition((s: Total, e: Add) => ({ total: s.total + e.n }), { total: 0 })
const state = (total: number) => ({ status: 'active', output: undefined, error: undefined, context: { total } }) as Snapshot<unknown>
const add = (n: number): EventObject => ({ type: 'add', n }) as EventObject
const durable = (store: KeeperStore, options: Partial<DurableOptions> = {}) => new Durability(counter, readDurableOptions({ store, ...options }, 'b'))
const totalOf = (point: { snapshot: Snapshot<unknown> } | undefined) => (point?.snapshot as { context: Total } | undefined)?.context.total
const snapshotOf = async (store: KeeperStore) => {
  const s = await store.loadSnapshot('b')
  return s && { seq: s.seq, total: (s.data as { context: Total }).context.total }
}

describe('isActivationMarker', () => {
  it.each([
    ['a marker', { type: ACTIVATION_MARKER, node: 'a' }, true],
    ['an event of another type', { type: 'add', n: 1 }, false],
    ['an object without a type', { node: 'a' }, false],
    ['null', null, false],
    ["the marker's type as a bare string", ACTIVATION_MARKER, false],
    ['a number', 5, false]
  ])('%s: %s', (_, payload, expected) => {
    expect(isActivationMarker(payload)).toBe(expected)
  })
})

describe('activation markers, journal mode', () => {
  it("appends the marker at the next sequence number, with the mark, its seq and mode as payload and the logic's version", async () => {
    const store = new MemoryStore()
    const first = durable(store, { mode: 'journal', snapshotEvery: 0, version: 3, migrations: { 2: (s) => s, 3: (s) => s } })
    await first.recover(undefined)
    await first.record(add(1), state(1))
    await first.record(add(2), state(3))
    const taker = durable(store, { mode: 'journal', snapshotEvery: 0, version: 3, migrations: { 2: (s) => s, 3: (s) => s } })
    await taker.recover(undefined)
    expect(await taker.mark({ node: 'n2', tenure: 7 }, 't7', state(3))).toBe(3)
    const [marker] = await store.read('b', { fromSeq: 3 })
    expect(marker).toMatchObject({ seq: 3, type: ACTIVATION_MARKER, version: 3, payload: { node: 'n2', tenure: 7, type: ACTIVATION_MARKER, seq: 3, mode: 'journal' } })
    // No snapshot is taken for a marker in journal mode.
    expect(await store.loadSnapshot('b')).toBeUndefined()
  })

  it('tags every event appended after the mark with the activation, beside the tags function\'s own', async () => {
    const store = new MemoryStore()
    const d = durable(store, { mode: 'journal', snapshotEvery: 0, tags: (e) => ((e as Add).n > 1 ? ['big'] : []) })
    await d.recover(undefined)
    await d.record(add(1), state(1))
    await d.mark({ node: 'a' }, 'a1', state(1))
    await d.record(add(1), state(2))
    await d.record(add(2), state(4))
    const tags = (await store.read('b')).map((e) => e.tags)
    expect(tags).toEqual([[], [], [`${ACTIVATION_MARKER}:a1`], ['big', `${ACTIVATION_MARKER}:a1`]])
  })

  it('tags the events after the mark without a tags function too', async () => {
    const store = new MemoryStore()
    const d = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await d.recover(undefined)
    await d.mark({ node: 'a' }, 'x', state(0))
    await d.record(add(5), state(5))
    expect((await store.read('b')).map((e) => e.tags)).toEqual([[], [`${ACTIVATION_MARKER}:x`]])
  })

  it('recovery skips a marker: the state is the events\' alone, and the next event follows the marker', async () => {
    const store = new MemoryStore()
    const first = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await first.recover(undefined)
    await first.record(add(1), state(1))
    await first.mark({ node: 'a' }, 'a', state(1))
    await first.record(add(2), state(3))
    await first.mark({ node: 'a' }, 'a2', state(3))
    const again = durable(store, { mode: 'journal', snapshotEvery: 0 })
    expect(totalOf(await again.recover(undefined))).toBe(3)
    await again.record(add(4), state(7))
    expect((await store.read('b')).map((e) => [e.seq, e.type])).toEqual([
      [1, 'add'],
      [2, ACTIVATION_MARKER],
      [3, 'add'],
      [4, ACTIVATION_MARKER],
      [5, 'add']
    ])
  })

  it('a journal that is only a marker recovers to the initial state, not to nothing', async () => {
    const store = new MemoryStore()
    const d = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await d.recover(undefined)
    await d.mark({ node: 'a' }, 'a', state(0))
    const point = await durable(store, { mode: 'journal', snapshotEvery: 0 }).recover(undefined)
    expect(point?.kind).toBe('persisted')
    expect(totalOf(point)).toBe(0)
  })

  it("fences the former writer: its next append is refused, and the taker's marker is refused if the former writer's append landed first", async () => {
    const store = new MemoryStore()
    const former = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await former.recover(undefined)
    await former.record(add(1), state(1))
    const taker = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await taker.recover(undefined)
    await taker.mark({ node: 'b' }, 'b', state(1))
    await expect(former.record(add(2), state(3))).rejects.toBeInstanceOf(JournalConflictError)

    const late = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await late.recover(undefined)
    await taker.record(add(10), state(11))
    await expect(late.mark({ node: 'c' }, 'c', state(1))).rejects.toBeInstanceOf(JournalConflictError)
    expect((await store.read('b')).map((e) => e.seq)).toEqual([1, 2, 3])
  })

  it('refuses to journal an event of the reserved marker type, which recovery would skip', async () => {
    const store = new MemoryStore()
    const d = durable(store, { mode: 'journal', snapshotEvery: 0 })
    await d.recover(undefined)
    const refused = await d.record({ type: ACTIVATION_MARKER } as EventObject, state(0)).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(InvalidRecordError)
    expect(refused).toMatchObject({ path: 'events[].type' })
    expect((refused as Error).message).toContain(`a type other than "${ACTIVATION_MARKER}" (reserved for activation markers)`)
    expect(await store.read('b')).toEqual([])
  })
})

describe('activation markers, snapshot mode', () => {
  it('saves the recovered state again at the next sequence number, then appends the marker at the end of the journal', async () => {
    const store = new MemoryStore()
    const former = durable(store)
    await former.recover(undefined)
    await former.begin(state(0))
    await former.record(add(1), state(1))
    await former.record(add(2), state(3))
    const taker = durable(store)
    const point = await taker.recover(undefined)
    expect(await taker.mark({ node: 'n2' }, 't', point!.snapshot)).toBe(3)
    expect(await snapshotOf(store)).toEqual({ seq: 3, total: 3 })
    const journal = await store.read('b')
    expect(journal).toHaveLength(1)
    expect(journal[0]).toMatchObject({ seq: 1, type: ACTIVATION_MARKER, payload: { node: 'n2', type: ACTIVATION_MARKER, seq: 3, mode: 'snapshot' } })
    // A second activation's marker goes after the first one, whatever the snapshot's number.
    const next = durable(store)
    const again = await next.recover(undefined)
    expect(await next.mark({ node: 'n3' }, 'u', again!.snapshot)).toBe(4)
    expect((await store.read('b')).map((e) => [e.seq, (e.payload as { seq: number }).seq])).toEqual([
      [1, 3],
      [2, 4]
    ])
    // Later states go on from the marked snapshot; the tags of the journal mode do not apply.
    await next.record(add(4), state(7))
    expect(await snapshotOf(store)).toEqual({ seq: 5, total: 7 })
    expect(await store.read('b')).toHaveLength(2)
  })

  it('fences the former writer: its next snapshot is refused, and so is the taker\'s mark if the former writer saved first', async () => {
    const store = new MemoryStore()
    const former = durable(store)
    await former.recover(undefined)
    await former.begin(state(0))
    const taker = durable(store)
    await taker.recover(undefined)
    await taker.mark({ node: 'b' }, 'b', state(0))
    await expect(former.record(add(1), state(1))).rejects.toBeInstanceOf(SnapshotConflictError)
    expect(await snapshotOf(store)).toEqual({ seq: 1, total: 0 })

    const late = durable(store)
    await late.recover(undefined)
    await taker.record(add(2), state(2))
    await expect(late.mark({ node: 'c' }, 'c', state(0))).rejects.toBeInstanceOf(SnapshotConflictError)
    expect(await snapshotOf(store)).toEqual({ seq: 2, total: 2 })
    // The refused mark appended no marker either.
    expect(await store.read('b')).toHaveLength(1)
  })
})

describe('activation markers, snapshot mode with compactEvery', () => {
  it("appends the marker after the last change record, mode 'changes', saving no snapshot; tags the taker's records; fences the former writer", async () => {
    const store = new MemoryStore()
    const options = { compactEvery: 100 }
    const former = durable(store, options)
    await former.recover(undefined)
    await former.begin(state(0))
    await former.record(add(1), state(1))
    await former.record(add(2), state(3))
    const taker = durable(store, options)
    const point = await taker.recover(undefined)
    expect(totalOf(point)).toBe(3)
    expect(await taker.mark({ node: 'n2' }, 't', point!.snapshot)).toBe(3)
    // The journal numbers the states: the marker is the next record in it, and the whole snapshot stays the first one.
    expect(await snapshotOf(store)).toEqual({ seq: 0, total: 0 })
    const [marker] = await store.read('b', { fromSeq: 3 })
    expect(marker).toMatchObject({ seq: 3, type: ACTIVATION_MARKER, payload: { node: 'n2', type: ACTIVATION_MARKER, seq: 3, mode: 'changes' } })

    await expect(former.record(add(4), state(7))).rejects.toBeInstanceOf(JournalConflictError)
    await taker.record(add(4), state(7))
    expect((await store.read('b', { fromSeq: 4 })).map((e) => [e.seq, e.tags])).toEqual([[4, [`${ACTIVATION_MARKER}:t`]]])
    // A start reads past the marker.
    expect(totalOf(await durable(store, options).recover(undefined))).toBe(7)
  })

  it('a writer with it taking over from one without that marked: fences it out, numbers on from its snapshot, marks after its own records', async () => {
    const store = new MemoryStore()
    const former = durable(store) // snapshot mode, no compactEvery: its marker goes at the journal's end, seq its snapshot's
    await former.recover(undefined)
    await former.begin(state(0))
    await former.record(add(1), state(1))
    await former.mark({ node: 'n1' }, 't1', state(1))
    await former.record(add(2), state(3))
    expect(await store.read('b')).toMatchObject([{ seq: 1, payload: { seq: 2, mode: 'snapshot' } }])
    const taker = durable(store, { compactEvery: 100 })
    expect(totalOf(await taker.recover(undefined))).toBe(3)
    await expect(former.record(add(4), state(7))).rejects.toBeInstanceOf(SnapshotConflictError)
    await taker.record(add(4), state(7))
    expect(await taker.mark({ node: 'n2' }, 't2', state(7))).toBe(6)
    await taker.record(add(8), state(15))
    // Its records follow the former's marker, each naming its state: 5 (the add), 6 (its marker), 7.
    expect((await store.read('b', { fromSeq: 2 })).map((e) => [e.seq, (e.payload as { at?: number; seq?: number }).at ?? (e.payload as { seq?: number }).seq])).toEqual([[2, 5], [3, 6], [4, 7]])
    expect(totalOf(await durable(store, { compactEvery: 100 }).recover(undefined))).toBe(15)
    expect(totalOf(await durable(store).recover(undefined))).toBe(15)
  })

  it('a writer with it taking over from one without whose last write was its marker: fences it out all the same', async () => {
    const store = new MemoryStore()
    const former = durable(store)
    await former.recover(undefined)
    await former.begin(state(0))
    await former.mark({ node: 'n1' }, 't1', state(0)) // the snapshot and the journal's last record both stand for state 1
    const taker = durable(store, { compactEvery: 100 })
    await taker.recover(undefined)
    await expect(former.record(add(1), state(1))).rejects.toBeInstanceOf(SnapshotConflictError)
    await taker.record(add(2), state(2))
    expect(totalOf(await durable(store).recover(undefined))).toBe(2)
  })

  it('a writer with it fences out one without that saved after the last change record (its snapshot is ahead of the journal)', async () => {
    const store = new MemoryStore()
    const first = durable(store, { compactEvery: 100 })
    await first.recover(undefined)
    await first.begin(state(0))
    await first.record(add(1), state(1)) // a change record, state 1
    const whole = durable(store)
    await whole.recover(undefined) // takes the journal over: a record that changes nothing (state 2), the snapshot at 2
    await whole.record(add(2), state(3)) // snapshot 3: ahead of the journal's last state
    const taker = durable(store, { compactEvery: 100 })
    expect(totalOf(await taker.recover(undefined))).toBe(3)
    await expect(whole.record(add(4), state(7))).rejects.toBeInstanceOf(SnapshotConflictError)
    await taker.record(add(4), state(7))
    expect(totalOf(await durable(store).recover(undefined))).toBe(7)
  })
})
