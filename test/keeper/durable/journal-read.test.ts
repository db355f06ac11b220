import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../../src/index'
import { eachAfter } from '../../../src/keeper/durable/journal'
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
