import { describe, expect, it } from 'vitest'
import { CorruptRecordError, MemoryStore, RecoveryError } from '../../../src/index'
import { eachAfter, readForRecovery } from '../../../src/keeper/durable/journal'
import type { PayloadRecord } from '../../../src/stores/KeeperStore'

// What recovery reads of a journal from a store without the faster readPayloads: read() from
// the seq after the snapshot, the same records.

/** A MemoryStore as a store without `readPayloads` would be (an own undefined hides the method). */
function withoutReadPayloads(): MemoryStore {
  const store = new MemoryStore()
  ;(store as { readPayloads?: unknown }).readPayloads = undefined
  return store
}

describe('eachAfter on a store without readPayloads', () => {
  it('reads the records after seq with read(), in order, and resolves with the last seq', async () => {
    const store = withoutReadPayloads()
    await store.append('b', [1, 2, 3, 4].map((n) => ({ type: 'add', payload: { type: 'add', n }, version: 1 })), 0)
    const seen: PayloadRecord[] = []
    expect(await eachAfter(store, 'b', 2, (entry) => seen.push(entry))).toBe(4)
    expect(seen.map((e) => [e.seq, (e.payload as { n: number }).n])).toEqual([
      [3, 3],
      [4, 4]
    ])
  })
})

describe('readForRecovery', () => {
  it('turns a corrupt record into the RecoveryError a start fails with, naming the id, seq and kind of record', async () => {
    const corrupt = new CorruptRecordError('b', 7, 'snapshot', new SyntaxError('bad JSON'))
    const error = await readForRecovery('b', () => Promise.reject(corrupt)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RecoveryError)
    expect(error).toMatchObject({ branchId: 'b', seq: 7, cause: corrupt, message: expect.stringContaining('its stored snapshot is corrupt') })
    const other = new Error('store down')
    expect(await readForRecovery('b', () => Promise.reject(other)).catch((e: unknown) => e)).toBe(other)
  })
})
