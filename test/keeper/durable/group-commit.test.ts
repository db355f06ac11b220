import { describe, expect, it } from 'vitest'
import { JournalConflictError, StoreUnavailableError, type AppendRequest } from '../../../src/index'
import { groupAppend } from '../../../src/keeper/durable/groupCommit'
import { FlakyStore } from '../../support/stores'

/** A FlakyStore that remembers the ids of each `appendBatch` it was given. */
class BatchLog extends FlakyStore {
  readonly given: string[][] = []

  override appendBatch(requests: readonly AppendRequest[]): Promise<number[]> {
    this.given.push(requests.map((r) => r.id))
    return super.appendBatch(requests)
  }
}

const request = (id: string, expectedSeq: number, count = 1): AppendRequest => ({
  id,
  expectedSeq,
  events: Array.from({ length: count }, (_, i) => ({ type: 'add', payload: { type: 'add', n: i }, version: 1, tags: [] }))
})

describe('group commit', () => {
  it('appends queued in one tick go out as one appendBatch; each resolves with its journal’s new last seq', async () => {
    const store = new BatchLog()
    const seqs = await Promise.all([groupAppend(store, request('a', 0, 2)), groupAppend(store, request('b', 0)), groupAppend(store, request('c', 0, 3))])
    expect(seqs).toEqual([2, 1, 3])
    expect(store.given).toEqual([['a', 'b', 'c']])
    expect((await store.read('c')).map((e) => e.seq)).toEqual([1, 2, 3])
  })

  it('appends made while a batch commits go out together in the next one', async () => {
    const store = new BatchLog()
    const release = store.hold()
    const first = groupAppend(store, request('a', 0))
    // The first batch is at the store once it has been given to it.
    while (store.given.length === 0) await new Promise((resolve) => setImmediate(resolve))
    const later = [groupAppend(store, request('b', 0)), groupAppend(store, request('a', 1))]
    // One batch at a time: the next does not go to the store while the first commits.
    await new Promise((resolve) => setImmediate(resolve))
    expect(store.given).toEqual([['a']])
    release()
    expect(await first).toBe(1)
    expect(await Promise.all(later)).toEqual([1, 2])
    expect(store.given).toEqual([['a'], ['b', 'a']])
  })

  it('a journal that conflicts fails alone: the rest of the batch is retried without it and commits', async () => {
    const store = new BatchLog()
    await store.append('taken', [request('taken', 0).events[0]!], 0)
    const outcomes = await Promise.allSettled([groupAppend(store, request('a', 0)), groupAppend(store, request('taken', 0)), groupAppend(store, request('b', 0))])
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 1 })
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: expect.any(JournalConflictError) })
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ id: 'taken' })
    expect(outcomes[2]).toEqual({ status: 'fulfilled', value: 1 })
    expect(store.given).toEqual([['a', 'taken', 'b'], ['a', 'b']])
    expect(await store.lastSeq('taken')).toBe(1)
  })

  it('a store failure fails the whole batch once, and the next append goes out when the store is back', async () => {
    const store = new BatchLog()
    store.down = true
    const outcomes = await Promise.allSettled([groupAppend(store, request('a', 0)), groupAppend(store, request('b', 0))])
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected'])
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError)
    expect(store.given).toEqual([['a', 'b']])
    store.down = false
    expect(await groupAppend(store, request('a', 0))).toBe(1)
    expect(store.given).toEqual([['a', 'b'], ['a']])
  })

  it('stores have a committer each: one store’s batch never holds another’s appends', async () => {
    const one = new BatchLog()
    const other = new BatchLog()
    const release = one.hold()
    const held = groupAppend(one, request('a', 0))
    expect(await groupAppend(other, request('a', 0))).toBe(1)
    expect(other.given).toEqual([['a']])
    release()
    expect(await held).toBe(1)
  })
})
