import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { fromTransition, type EventObject, type Snapshot } from 'xstate'
import { MemoryStore, type DurableOptions, type KeeperStore, type NewEvent, type ReplayDivergenceError } from '../../../src/index'
import { Durability, VERIFY_SAMPLE } from '../../../src/keeper/durable/Durability'
import { readDurableOptions } from '../../../src/keeper/durable/options'

// The replay check of journal mode (verifyReplay), straight on a store: at each snapshot the
// events since the one before are replayed from it and compared with the state the worker
// reported. Which segments are checked, across snapshots and across a recovery, and which are not:
// every one with `verifyReplay: true` (what most cases here set), the first after a start and then
// one in VERIFY_SAMPLE with 'sampled' (the default).

type Add = { type: 'add'; n: number }
type Total = { total: number }
const counter = fromTransition((s: Total, e: Add) => ({ total: s.total + e.n }), { total: 0 })
const state = (total: number) => ({ status: 'active', output: undefined, error: undefined, context: { total } }) as Snapshot<unknown>
const add = (n: number): EventObject => ({ type: 'add', n }) as EventObject
const stored = (n: number): NewEvent => ({ type: 'add', payload: { type: 'add', n }, version: 1 })

function durable(store: KeeperStore, options: Partial<DurableOptions> = {}) {
  const d = new Durability(counter, readDurableOptions({ store, mode: 'journal', verifyReplay: true, ...options }, 'b'))
  const divergences: ReplayDivergenceError[] = []
  d.attach({ persisted: () => {}, divergence: (e) => divergences.push(e) })
  return { d, divergences }
}

/** Records one event per entry: `[n, total the worker reports after it]`. */
async function recordAll(d: Durability, steps: ReadonlyArray<readonly [number, number]>): Promise<void> {
  for (const [n, total] of steps) await d.record(add(n), state(total))
}

/** A full, synchronous garbage collection (V8's `gc`, exposed to a new context made after the flag is set). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

/** Records an event made here, and returns only a weak reference to it: nothing of this call's frame outlives it. */
async function recordWeakly(d: Durability, n: number, total: number): Promise<WeakRef<EventObject>> {
  const event = add(n)
  await d.record(event, state(total))
  return new WeakRef(event)
}

/** Lets the snapshot taken after an append (not awaited by the call) land. */
const snapshotsLanded = (d: Durability) => d.settled().then(() => new Promise((resolve) => setImmediate(resolve)))

const snapshotOf = async (store: KeeperStore) => {
  const s = await store.loadSnapshot('b')
  return s && { seq: s.seq, total: (s.data as { context: Total }).context.total }
}

describe('the replay check, segment by segment', () => {
  it('checks each segment from the snapshot before it: a divergence in the second is reported at its snapshot', async () => {
    const store = new MemoryStore()
    const { d, divergences } = durable(store, { snapshotEvery: 2 })
    await d.recover(undefined)
    await d.begin(state(0))
    await recordAll(d, [
      [1, 1],
      [2, 3]
    ])
    await snapshotsLanded(d)
    expect(divergences).toEqual([])
    // 3 + 3 + 4 is 10; the worker says 11 after event 4.
    await recordAll(d, [
      [3, 6],
      [4, 11]
    ])
    await snapshotsLanded(d)
    expect(divergences.map((e) => e.seq)).toEqual([4])
    expect(await snapshotOf(store)).toEqual({ seq: 4, total: 11 })
  })

  it('verifyReplay false: no segment is checked, and the snapshots are taken all the same', async () => {
    const store = new MemoryStore()
    const { d, divergences } = durable(store, { snapshotEvery: 2, verifyReplay: false })
    await d.recover(undefined)
    await d.begin(state(0))
    await recordAll(d, [
      [1, 1],
      [1, 5]
    ])
    await snapshotsLanded(d)
    expect(await snapshotOf(store)).toEqual({ seq: 2, total: 5 })
    await recordAll(d, [
      [1, 9],
      [1, 20]
    ])
    await snapshotsLanded(d)
    expect(divergences).toEqual([])
    expect(await snapshotOf(store)).toEqual({ seq: 4, total: 20 })
  })

  it('a journal without a snapshot to start from has nothing to check its first segment against; the next one is checked', async () => {
    const store = new MemoryStore()
    const { d, divergences } = durable(store, { snapshotEvery: 2 })
    await d.recover(undefined)
    // No begin: the first segment has no base.
    await recordAll(d, [
      [1, 1],
      [1, 7]
    ])
    await snapshotsLanded(d)
    expect(divergences).toEqual([])
    expect(await snapshotOf(store)).toEqual({ seq: 2, total: 7 })
    await recordAll(d, [
      [1, 8],
      [1, 10]
    ])
    await snapshotsLanded(d)
    expect(divergences.map((e) => e.seq)).toEqual([4])
  })
})

describe('the replay check across a recovery', () => {
  it('the events replayed by recovery are part of the segment: a restart mid-segment raises no false divergence, and a wrong state is still caught', async () => {
    const store = new MemoryStore()
    await store.saveSnapshot('b', { seq: 0, data: state(0) })
    await store.append('b', [stored(1), stored(2), stored(3), stored(4)], 0)
    await store.saveSnapshot('b', { seq: 4, data: state(10) })
    await store.append('b', [stored(5)], 4)

    const right = durable(store, { snapshotEvery: 3 })
    await right.d.recover(undefined)
    // Event 6 ends the segment 5..6: 10 + 5 + 6 = 21, as the worker says.
    await right.d.record(add(6), state(21))
    await snapshotsLanded(right.d)
    expect(right.divergences).toEqual([])
    expect(await snapshotOf(store)).toEqual({ seq: 6, total: 21 })

    await store.append('b', [stored(7)], 6)
    const wrong = durable(store, { snapshotEvery: 3 })
    await wrong.d.recover(undefined)
    await wrong.d.record(add(8), state(100))
    await wrong.d.record(add(9), state(109))
    await snapshotsLanded(wrong.d)
    expect(wrong.divergences.map((e) => e.seq)).toEqual([9])
  })

  it('after a recovery that replayed a whole interval or more (a snapshot was missed), the open segment is not checked: it would miss events', async () => {
    const store = new MemoryStore()
    await store.saveSnapshot('b', { seq: 0, data: state(0) })
    // Events 1..5 with no snapshot at 2 or 4 (as if those writes had failed).
    await store.append('b', [stored(1), stored(2), stored(3), stored(4), stored(5)], 0)
    const { d, divergences } = durable(store, { snapshotEvery: 2 })
    expect(((await d.recover(undefined))?.snapshot as unknown as { context: Total }).context).toEqual({ total: 15 })
    await d.record(add(6), state(21))
    await snapshotsLanded(d)
    expect(divergences).toEqual([])
    expect(await snapshotOf(store)).toEqual({ seq: 6, total: 21 })
    // The next segment starts from that snapshot and is checked again.
    await recordAll(d, [
      [7, 28],
      [8, 99]
    ])
    await snapshotsLanded(d)
    expect(divergences.map((e) => e.seq)).toEqual([8])
  })
})

describe("verifyReplay 'sampled' (the default)", () => {
  it('checks the first interval after a start, then one in VERIFY_SAMPLE, and again the first after a recovery', async () => {
    const store = new MemoryStore()
    const { d, divergences } = durable(store, { snapshotEvery: 1, verifyReplay: undefined })
    await d.recover(undefined)
    await d.begin(state(0))
    // snapshotEvery 1: each event is an interval. Each ends on 2 x its seq, one above what it replays to
    // from the state reported before it (2 x (seq - 1) + 1).
    for (let seq = 1; seq <= 2 * VERIFY_SAMPLE + 1; seq++) {
      await d.record(add(1), state(2 * seq))
      await snapshotsLanded(d)
    }
    expect(divergences.map((e) => e.seq)).toEqual([1, 1 + VERIFY_SAMPLE, 1 + 2 * VERIFY_SAMPLE])

    // A recovery is a start: its first interval is checked again.
    divergences.length = 0
    await d.recover(undefined)
    await d.record(add(1), state(99))
    await snapshotsLanded(d)
    expect(divergences.map((e) => e.seq)).toEqual([2 * VERIFY_SAMPLE + 2])
  })

  it('keeps no events for the intervals it does not check', async () => {
    const store = new MemoryStore()
    const { d, divergences } = durable(store, { snapshotEvery: 2, verifyReplay: 'sampled' })
    await d.recover(undefined)
    await d.begin(state(0))
    // The first interval (events 1-2) is checked and right; the next VERIFY_SAMPLE - 1 are not checked, wrong as they are.
    await recordAll(d, [
      [1, 1],
      [1, 2]
    ])
    await snapshotsLanded(d)
    for (let i = 1; i < VERIFY_SAMPLE; i++) {
      await recordAll(d, [
        [1, 1000 + i],
        [1, 2000 + i]
      ])
      await snapshotsLanded(d)
    }
    expect(divergences).toEqual([])
    // The next one is checked: from the snapshot before it (2000 + VERIFY_SAMPLE - 1), 1 + 1 more is not 5.
    await recordAll(d, [
      [1, 3],
      [1, 5]
    ])
    await snapshotsLanded(d)
    expect(divergences.map((e) => e.seq)).toEqual([2 * VERIFY_SAMPLE + 2])
  })
})

describe('where no segment can end, none is opened (what one holds is only memory: checked by a real GC)', () => {
  it('snapshotEvery 0 (journal mode without snapshots): no segment is opened, so the journaled events are not kept in memory', async () => {
    // Nothing would ever end such a segment: it would keep every event the branch journals, for its whole life.
    const store = new MemoryStore()
    const { d, divergences } = durable(store, { snapshotEvery: 0 })
    await d.recover(undefined)
    await d.begin(state(0))
    const first = await recordWeakly(d, 1, 1)
    const second = await recordWeakly(d, 2, 3)
    await d.settled()
    // A WeakRef's target is kept to the end of the job that made or read it: collect in a later one.
    await new Promise((resolve) => setImmediate(resolve))
    collectGarbage()
    expect([first.deref(), second.deref()]).toEqual([undefined, undefined])
    expect(divergences).toEqual([])
    expect(await store.lastSeq('b')).toBe(2)
  })

  it('snapshot mode opens no segment: nothing would end it, and it would hold the first state for the branch\'s life', async () => {
    const d = new Durability(counter, readDurableOptions({ store: new MemoryStore(), mode: 'snapshot', verifyReplay: true }, 'b'), true)
    d.attach({ persisted: () => {}, divergence: () => {} })
    await d.recover(undefined)
    const first = await (async () => {
      const snapshot = state(0)
      await d.begin(snapshot)
      return new WeakRef(snapshot)
    })()
    await d.record(add(1), state(1))
    await d.record(add(1), state(2))
    await d.settled()
    await new Promise((resolve) => setImmediate(resolve))
    collectGarbage()
    expect(first.deref()).toBeUndefined()
  })
})
