import { describe, expect, it } from 'vitest'
import type { Snapshot } from 'xstate'
import { MemoryStore, RecoveryError, type NewEvent, type StoredSnapshot } from '../../../src/index'
import { applyChangeRecord, changeRecord, changesFollow, CHANGE_RECORD, isChangeRecord, withChangeRecords, type ChangeRecord } from '../../../src/keeper/durable/changeRecords'
import { ACTIVATION_MARKER } from '../../../src/keeper/durable/journal'

// The change records of snapshot mode with compactEvery, one function at a time: what a record
// holds for a change to undefined (as a whole snapshot's JSON would leave it), what a record that
// is none is refused as, and how a start tells change records from events past many markers.

const state = { status: 'active', output: undefined, error: undefined } as Snapshot<unknown>
const marker: NewEvent = { type: ACTIVATION_MARKER, payload: { type: ACTIVATION_MARKER, node: 'a' }, version: 1 }
/** A whole snapshot of `b` at `seq`, its context `{ n: 0 }`. */
const snapshot = (seq: number, version: number): StoredSnapshot => ({ id: 'b', seq, version, at: 0, data: { status: 'active', context: { n: 0 } } })
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
      context
    )
    expect(record.changes).toEqual([
      ['d', ['gone']],
      ['s', ['list', 1], undefined],
      ['d', ['deep', 0, 'x']],
      ['s', ['n'], 1]
    ])
  })

  it('has no changes (null) for a logic without a context, and for a context that became undefined', () => {
    expect(changeRecord(state, undefined, { n: 1 })).toEqual({ type: CHANGE_RECORD, state, changes: null })
    expect(changeRecord(state, [['s', [], undefined]], undefined)).toEqual({ type: CHANGE_RECORD, state, changes: null })
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
    const orphan = await withChangeRecords(store, 'b', undefined).catch((e: unknown) => e)
    expect(orphan).toBeInstanceOf(RecoveryError)
    expect(orphan).toMatchObject({ seq: 2, message: expect.stringContaining('a change record has no snapshot before it') })

    const found = snapshot(0, 2)
    const older = await withChangeRecords(store, 'b', found).catch((e: unknown) => e)
    expect(older).toMatchObject({ seq: 2, message: expect.stringContaining('the change record has version 1 and its snapshot 2') })
  })

  it('refuses an event where a change record belongs, naming it as such', async () => {
    const store = new MemoryStore()
    await store.append('b', [marker, { type: 'add', payload: { type: 'add', n: 1 }, version: 1 }], 0)
    const error = await withChangeRecords(store, 'b', snapshot(0, 1)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RecoveryError)
    expect(error).toMatchObject({ seq: 2, message: expect.stringContaining(`the journal holds an event where a change record (${CHANGE_RECORD}) belongs`) })
  })

  it("refuses a change record that does not fit the state before it, saying so, with the reason as its cause", async () => {
    const store = new MemoryStore()
    await store.append('b', [{ type: CHANGE_RECORD, payload: { type: CHANGE_RECORD, state, changes: [['s', ['n', 'deep'], 1]] }, version: 1 }], 0)
    const error = await withChangeRecords(store, 'b', snapshot(0, 1)).catch((e: unknown) => e)
    expect(error).toMatchObject({ seq: 1, message: expect.stringContaining("the change record doesn't fit the state before it") })
    expect((error as Error).cause).toBeInstanceOf(Error)
  })

  it('gives the snapshot itself when nothing follows it', async () => {
    const store = new MemoryStore()
    const found = snapshot(0, 1)
    expect(await withChangeRecords(store, 'b', found)).toEqual({ stored: found, end: 0 })
    expect((await withChangeRecords(store, 'b', found)).stored).toBe(found)
  })
})

describe('changesFollow', () => {
  it('looks past any number of activation markers, a page at a time, for the first record that is none', async () => {
    const store = new MemoryStore()
    const markers = Array.from({ length: 40 }, () => marker)
    await store.append('changes', [...markers, change()], 0)
    await store.append('events', [...markers, { type: 'add', payload: { type: 'add' }, version: 1 }], 0)
    await store.append('markers', markers, 0)
    expect(await changesFollow(store, 'changes', 0)).toBe(true)
    expect(await changesFollow(store, 'events', 0)).toBe(false)
    expect(await changesFollow(store, 'markers', 0)).toBe(false)
    expect(await changesFollow(store, 'nothing', 0)).toBe(false)
    // From a later seq: what is after it.
    expect(await changesFollow(store, 'changes', 40)).toBe(true)
    expect(await changesFollow(store, 'changes', 41)).toBe(false)
  })
})
