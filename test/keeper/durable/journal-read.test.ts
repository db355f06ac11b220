import { describe, expect, it } from 'vitest'
import { MemoryStore, type PayloadRecord } from '../../../src/index'
import { eachAfter } from '../../../src/keeper/durable/journal'

// What recovery reads of a journal from a store without the faster readPayloads: read() from
// the seq after the snapshot, the same records.

/** A store as one without `readPayloads` would be. */
class ReadOnlyStore extends MemoryStore {
  override readPayloads = undefined
}

describe('eachAfter on a store without readPayloads', () => {
  it('reads the records after seq with read(), in order, and resolves with the last seq', async () => {
    const store = new ReadOnlyStore()
    await store.append('b', [1, 2, 3, 4].map((n) => ({ type: 'add', payload: { type: 'add', n }, version: 1 })), 0)
    const seen: PayloadRecord[] = []
    expect(await eachAfter(store, 'b', 2, (entry) => seen.push(entry))).toBe(4)
    expect(seen.map((e) => [e.seq, (e.payload as { n: number }).n])).toEqual([
      [3, 3],
      [4, 4]
    ])
  })
})
