import { describe, expect, it } from 'vitest'
import { JournalConflictError, MemoryStore, StoreUnavailableError } from '../../../src/index'
import { groupAppend } from '../../../src/keeper/durable/groupCommit'

// durability: 'batched' appends go out in groups, one appendBatch each: what one request of a group
// comes to must not depend on the others, but for a store that fails as a whole.

const event = (n: number) => ({ type: 'add', payload: { type: 'add', n } })

/** A MemoryStore that counts its appendBatch calls, and fails them all while `down`. */
class CountingStore extends MemoryStore {
  batches: number[] = []
  down = false

  override appendBatch(...args: Parameters<MemoryStore['appendBatch']>): ReturnType<MemoryStore['appendBatch']> {
    this.batches.push(args[0].length)
    if (this.down) return Promise.reject(new StoreUnavailableError('CountingStore', 'appendBatch', new Error('connection refused')))
    return super.appendBatch(...args)
  }
}

describe('the group commit of batched appends', () => {
  it('writes the appends of one tick in one batch; a journal that conflicts fails alone, the rest are retried without it', async () => {
    const store = new CountingStore()
    await store.append('taken', [event(0)], 0)
    const outcomes = await Promise.allSettled([
      groupAppend(store, { id: 'a', expectedSeq: 0, events: [event(1)] }),
      groupAppend(store, { id: 'taken', expectedSeq: 0, events: [event(2)] }),
      groupAppend(store, { id: 'b', expectedSeq: 0, events: [event(3), event(4)] })
    ])
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 1 })
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: expect.any(JournalConflictError) })
    expect(outcomes[2]).toEqual({ status: 'fulfilled', value: 2 })
    // One batch of three, refused; then the two others, written.
    expect(store.batches).toEqual([3, 2])
    expect(await store.lastSeq('taken')).toBe(1)
    expect((await store.read('b')).map((e) => e.seq)).toEqual([1, 2])
  })

  it('retries as often as journals conflict, each outcome still its own request’s', async () => {
    const store = new CountingStore()
    await store.append('taken', [event(0)], 0)
    await store.append('also-taken', [event(0)], 0)
    const outcomes = await Promise.allSettled([
      groupAppend(store, { id: 'a', expectedSeq: 0, events: [event(1)] }),
      groupAppend(store, { id: 'taken', expectedSeq: 0, events: [event(2)] }),
      groupAppend(store, { id: 'b', expectedSeq: 0, events: [event(3), event(4)] }),
      groupAppend(store, { id: 'also-taken', expectedSeq: 0, events: [event(5)] }),
      groupAppend(store, { id: 'c', expectedSeq: 0, events: [event(6), event(7), event(8)] })
    ])
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as JournalConflictError).id))).toEqual([1, 'taken', 2, 'also-taken', 3])
    // Five refused on the first conflict, four on the second, then the three others written.
    expect(store.batches).toEqual([5, 4, 3])
    expect((await store.read('c')).map((e) => e.payload)).toEqual([6, 7, 8].map((n) => ({ type: 'add', n })))
  })

  it('fails every append of a group the store refuses as a whole, and the next group goes on', async () => {
    const store = new CountingStore()
    store.down = true
    const failed = await Promise.allSettled([groupAppend(store, { id: 'a', expectedSeq: 0, events: [event(1)] }), groupAppend(store, { id: 'b', expectedSeq: 0, events: [event(2)] })])
    expect(failed.map((o) => o.status === 'rejected' && o.reason instanceof StoreUnavailableError)).toEqual([true, true])
    store.down = false
    await expect(groupAppend(store, { id: 'a', expectedSeq: 0, events: [event(1)] })).resolves.toBe(1)
    expect(store.batches).toEqual([2, 1])
  })
})
