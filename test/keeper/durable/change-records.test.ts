import { describe, expect, it } from 'vitest'
import type { Snapshot } from 'xstate'
import { MemoryStore, RecoveryError, type NewEvent, type StoredSnapshot } from '../../../src/index'
import { applyChangeRecord, changeRecord, CHANGE_RECORD, isChangeRecord, withChangeRecords, type ChangeRecord } from '../../../src/keeper/durable/changeRecords'
import { ACTIVATION_MARKER } from '../../../src/keeper/durable/journal'

// The change records of snapshot mode with compactEvery, one function at a time: what a record
// holds for a change to undefined (as a whole snapshot's JSON would leave it), what a record that
// is none is refused as, and how a start tells change records from events past many markers.

const state = { status: 'active', output: undefined, error: undefined } as Snapshot<unknown>
const marker: NewEvent = { type: ACTIVATION_MARKER, payload: { type: ACTIVATION_MARKER, node: 'a' }, version: 1 }
/** A whole snapshot of `b` at `seq`, its context `{ n: 0 }`. */
const snapshot = (seq: number, version: number): StoredSnapshot => ({ id: 'b', seq, version, at: 0, data: { status: 'active', context: { n: 0 } } })
/** What a start reads: the journal's end, then the records from the snapshot on. */
const tailOf = async (store: MemoryStore, id: string, found: StoredSnapshot | undefined) => withChangeRecords(store, id, found, await store.lastSeq(id))
const change = (version = 1): NewEvent => ({ type: CHANGE_RECORD, payload: { type: CHANGE_RECORD, state, changes: [['s', ['n'], 1]] }, version })

describe('changeRecord', () => {
  it("records an object's key set to undefined as deleted, and an array's entry set to undefined as set (JSON makes it null, as in a whole snapshot)", () => {
    const context = { gone: undefined, list: [1, undefined], deep: [{ x: undefined }], n: 1 }
    const record = changeRecord(
      state,
      [
        ['s', ['gone'], undefined],
        ['s', ['list', 1], undefined],
        ['s', ['deep', 0, 'x'], undefined],
        ['s', ['n'], 1]
      ],
      context,
      7
    )
    expect(record.changes).toEqual([
      ['d', ['gone']],
      ['s', ['list', 1], undefined],
      ['d', ['deep', 0, 'x']],
      ['s', ['n'], 1]
    ])
  })

  it('has no changes (null) for a logic without a context, and for a context that became undefined', () => {
    expect(changeRecord(state, undefined, { n: 1 }, 3)).toEqual({ type: CHANGE_RECORD, state, changes: null, at: 3 })
    expect(changeRecord(state, [['s', [], undefined]], undefined, 3)).toEqual({ type: CHANGE_RECORD, state, changes: null, at: 3 })
  })
})

describe('isChangeRecord', () => {
  it.each([
    ['a change record', { type: CHANGE_RECORD, state, changes: [] }, true],
    ['an event', { type: 'add' }, false],
    ['null', null, false],
    ['undefined', undefined, false],
    ['its type as a bare string', CHANGE_RECORD, false]
  ])('%s: %s', (_, payload, expected) => {
    expect(isChangeRecord(payload)).toBe(expected)
  })
})

describe('applyChangeRecord', () => {
  const before = { ...state, context: { n: 0 } } as unknown as Snapshot<unknown>

  it.each([
    ['no state', { type: CHANGE_RECORD, state: null, changes: [] }],
    ['a state that is no object', { type: CHANGE_RECORD, state: 'active', changes: [] }],
    ['changes that are no list', { type: CHANGE_RECORD, state, changes: { 0: ['s', ['n'], 1] } }]
  ])('refuses a record with %s', (_, record) => {
    expect(() => applyChangeRecord(before, record as unknown as ChangeRecord)).toThrow('it is not a change record')
  })

  it("takes the record's state, with its changes applied to the context before, or without a context when it has none", () => {
    expect(applyChangeRecord(before, { type: CHANGE_RECORD, state, changes: [['s', ['n'], 1]] })).toEqual({ ...state, context: { n: 1 } })
    expect(applyChangeRecord(before, { type: CHANGE_RECORD, state, changes: null })).toBe(state)
  })
})

describe('withChangeRecords', () => {
  it('refuses a change record with no snapshot before it, and one of another version than its snapshot, naming its seq', async () => {
    const store = new MemoryStore()
    await store.append('b', [marker, change()], 0)
    const orphan = await tailOf(store, 'b', undefined).catch((e: unknown) => e)
    expect(orphan).toBeInstanceOf(RecoveryError)
    expect(orphan).toMatchObject({ seq: 2, message: expect.stringContaining('a change record has no snapshot before it') })

    const found = snapshot(0, 2)
    const older = await tailOf(store, 'b', found).catch((e: unknown) => e)
    expect(older).toMatchObject({ seq: 2, message: expect.stringContaining('the change record has version 1 and its snapshot 2') })
  })

  it('refuses an event where a change record belongs, naming it as such; a journal that ends with an event is left to its caller', async () => {
    const store = new MemoryStore()
    const event: NewEvent = { type: 'add', payload: { type: 'add', n: 1 }, version: 1 }
    await store.append('b', [change(), event, change()], 0)
    const error = await tailOf(store, 'b', snapshot(0, 1)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RecoveryError)
    expect(error).toMatchObject({ seq: 2, message: expect.stringContaining(`the journal holds an event where a change record (${CHANGE_RECORD}) belongs`) })
    // Journal mode's: not folded, and said to be so (a start in snapshot mode refuses it; migrateStore leaves it to the adapter).
    await store.append('events', [marker, event], 0)
    const found = snapshot(0, 1)
    expect(await tailOf(store, 'events', found)).toEqual({ stored: found, end: 2, lastBy: 'journal', lastState: 2 })
  })

  it("refuses a change record that does not fit the state before it, saying so, with the reason as its cause", async () => {
    const store = new MemoryStore()
    await store.append('b', [{ type: CHANGE_RECORD, payload: { type: CHANGE_RECORD, state, changes: [['s', ['n', 'deep'], 1]] }, version: 1 }], 0)
    const error = await tailOf(store, 'b', snapshot(0, 1)).catch((e: unknown) => e)
    expect(error).toMatchObject({ seq: 1, message: expect.stringContaining("the change record doesn't fit the state before it") })
    expect((error as Error).cause).toBeInstanceOf(Error)
  })

  it('gives the snapshot itself when nothing follows it', async () => {
    const store = new MemoryStore()
    const found = snapshot(0, 1)
    expect(await tailOf(store, 'b', found)).toEqual({ stored: found, end: 0, lastBy: undefined, lastState: 0 })
    expect((await tailOf(store, 'b', found)).stored).toBe(found)
  })
})

describe('withChangeRecords, the journal written by another writer', () => {
  it('reads the last record only to tell who wrote last, and folds past any number of markers from the snapshot on', async () => {
    const store = new MemoryStore()
    const markers = Array.from({ length: 40 }, (_, i): NewEvent => ({ type: ACTIVATION_MARKER, payload: { type: ACTIVATION_MARKER, seq: i + 1, mode: 'changes' }, version: 1 }))
    await store.append('b', [...markers, change()], 0)
    const folded = await tailOf(store, 'b', snapshot(0, 1))
    expect(folded).toMatchObject({ end: 41, lastBy: 'changes', lastState: 41, stored: { seq: 41, data: { context: { n: 1 } } } })
    // A snapshot at the last record: nothing follows it, the snapshot itself is what was found.
    const atEnd = snapshot(41, 1)
    expect((await tailOf(store, 'b', atEnd)).stored).toBe(atEnd)
  })

  it('reads the last record of a store without readPayloads through read(), to the same tail', async () => {
    const store = new MemoryStore()
    await store.append('b', [change(), marker, change()], 0)
    const found = snapshot(0, 1)
    const withReadPayloads = await tailOf(store, 'b', found)
    // An own undefined hides the method, as on a store that never had it.
    ;(store as { readPayloads?: unknown }).readPayloads = undefined
    expect(await tailOf(store, 'b', found)).toEqual(withReadPayloads)
    expect(withReadPayloads).toMatchObject({ end: 3, lastBy: 'changes', lastState: 3, stored: { seq: 3 } })
  })

  it("numbers the records after the snapshot from their own state seqs (at): a writer that went on from a snapshot the journal's end is behind", async () => {
    const store = new MemoryStore()
    // Positions 1-2 hold states 10-11: a writer without compactEvery had saved snapshots up to 9.
    const at = (n: number): NewEvent => ({ type: CHANGE_RECORD, payload: { type: CHANGE_RECORD, state, changes: [['s', ['n'], n]], at: n }, version: 1 })
    await store.append('b', [at(10), at(11)], 0)
    expect(await tailOf(store, 'b', snapshot(10, 1))).toMatchObject({ end: 2, lastState: 11, stored: { seq: 11, data: { context: { n: 11 } } } })
    expect(await tailOf(store, 'b', snapshot(9, 1))).toMatchObject({ end: 2, lastState: 11, stored: { seq: 11 } })
    // A state seq out of step with its place is named.
    await store.append('gap', [at(10), at(12)], 0)
    expect(await tailOf(store, 'gap', snapshot(10, 1)).catch((e: unknown) => e)).toMatchObject({ seq: 1, message: expect.stringContaining('the record stands for state 10 where state 11 belongs') })
    // More states after the snapshot than the journal holds records.
    expect(await tailOf(store, 'b', snapshot(5, 1)).catch((e: unknown) => e)).toBeInstanceOf(RecoveryError)
  })

  it.each([
    ['a change record', { type: CHANGE_RECORD, state, changes: [], at: 7 }, 'changes', 7],
    ['a change record written before records named their state (its position)', { type: CHANGE_RECORD, state, changes: [] }, 'changes', 1],
    ["the activation marker of a writer with compactEvery", { type: ACTIVATION_MARKER, seq: 7, mode: 'changes' }, 'changes', 7],
    ['the activation marker of a writer without it', { type: ACTIVATION_MARKER, seq: 7, mode: 'snapshot' }, 'snapshot', 7],
    ["journal mode's activation marker", { type: ACTIVATION_MARKER, seq: 7, mode: 'journal' }, 'journal', 7],
    ['a marker that names no mode and no seq', { type: ACTIVATION_MARKER }, 'journal', 1],
    ['an event', { type: 'add', seq: 7 }, 'journal', 1]
  ])('tells who wrote the last record from what it is: %s', async (_, payload, lastBy, lastState) => {
    const store = new MemoryStore()
    await store.append('b', [{ type: (payload as { type: string }).type, payload, version: 1 }], 0)
    const found = snapshot(7, 1)
    const tail = await tailOf(store, 'b', found)
    expect(tail).toEqual({ stored: found, end: 1, lastBy, lastState })
  })
})
