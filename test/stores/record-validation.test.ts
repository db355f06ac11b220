import { afterEach, describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../src/shared/errors'
import { InvalidRecordError, StoreClosedError, StoreUnavailableError } from '../../src/stores/errors'
import { MemoryStore } from '../../src/stores/MemoryStore'
import { guard } from '../../src/stores/requests'

// What every store checks before it writes or reads (src/stores/requests.ts),
// seen through MemoryStore: where a bad value is named, what the message
// expects instead, the edges of each range, and the defaults filled in.
const stores: MemoryStore[] = []
const open = () => {
  const store = new MemoryStore()
  stores.push(store)
  return store
}
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
})

async function refusal(promise: Promise<unknown>): Promise<InvalidRecordError & InvalidOptionError> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error as InvalidRecordError & InvalidOptionError
  )
}

/** Expects an InvalidRecordError at `path` whose message says what was expected. */
async function expectRecordRefusal(promise: Promise<unknown>, path: string, expected: string): Promise<void> {
  const error = await refusal(promise)
  expect(error).toBeInstanceOf(InvalidRecordError)
  expect(error.path).toBe(path)
  expect(error.message).toContain(`Can't store ${path}: expected ${expected}, got `)
}

describe('the checks on what is written', () => {
  it('ids, types and tags: a non-empty string without NUL characters', async () => {
    const store = open()
    const expected = 'a non-empty string without NUL characters'
    await expectRecordRefusal(store.append(7 as never, [{ type: 't', payload: 1 }], 0), 'id', expected)
    await expectRecordRefusal(store.append('a', [{ type: 'x\u0000', payload: 1 }], 0), 'events[0].type', expected)
    await expectRecordRefusal(store.append('a', [{ type: 't', payload: 1, tags: [3 as never] }], 0), 'events[0].tags[0]', expected)
    await expectRecordRefusal(store.lastSeq(''), 'id', expected)
    await expectRecordRefusal(store.queryByTag(''), 'tag', expected)
    await expectRecordRefusal(store.read(''), 'id', expected)
    await expectRecordRefusal(store.loadSnapshot(''), 'id', expected)
    await expectRecordRefusal(store.saveSnapshot('', { seq: 1, data: 1 }), 'id', expected)
    await expectRecordRefusal(store.delete(''), 'id', expected)
  })

  it('tags: an array, whose duplicates are dropped keeping the first order', async () => {
    const store = open()
    await expectRecordRefusal(store.append('a', [{ type: 't', payload: 1, tags: 'x' as never }], 0), 'events[0].tags', 'an array of tag strings')
    await store.append('a', [{ type: 't', payload: 1, tags: ['b', 'a', 'b', 'c', 'a'] }], 0)
    expect((await store.read('a'))[0]!.tags).toEqual(['b', 'a', 'c'])
  })

  it('expectedSeq and a snapshot seq: an integer >= 0, 0 included', async () => {
    const store = open()
    await expectRecordRefusal(store.append('a', [], -1), 'expectedSeq', 'an integer >= 0')
    await expectRecordRefusal(store.append('a', [], '0' as never), 'expectedSeq', 'an integer >= 0')
    await expectRecordRefusal(store.saveSnapshot('a', { seq: 0.5, data: 1 }), 'snapshot.seq', 'an integer >= 0')
    expect(await store.saveSnapshot('a', { seq: 0, data: 1 })).toBe(true)
  })

  it('versions: an integer from 1 to 2^31 - 1 (PostgreSQL integer), both ends included, default 1', async () => {
    const store = open()
    const expected = 'an integer from 1 to 2^31 - 1'
    for (const version of [0, 2 ** 31, 1.5, '2']) {
      await expectRecordRefusal(store.append('a', [{ type: 't', payload: 1, version: version as number }], 0), 'events[0].version', expected)
      await expectRecordRefusal(store.saveSnapshot('a', { seq: 1, data: 1, version: version as number }), 'snapshot.version', expected)
    }
    await store.append('a', [{ type: 't', payload: 1, version: 1 }, { type: 't', payload: 2, version: 2 ** 31 - 1 }, { type: 't', payload: 3 }], 0)
    expect((await store.read('a')).map((e) => e.version)).toEqual([1, 2 ** 31 - 1, 1])
    await store.saveSnapshot('a', { seq: 1, data: 1, version: 2 ** 31 - 1 })
    expect((await store.loadSnapshot('a'))!.version).toBe(2 ** 31 - 1)
    await store.saveSnapshot('a', { seq: 2, data: 1 })
    expect((await store.loadSnapshot('a'))!.version).toBe(1)
  })

  it('times: a finite number of ms since the epoch, default the time of the write', async () => {
    const store = open()
    const expected = 'a finite number of ms since the epoch'
    for (const at of [Number.POSITIVE_INFINITY, '5', null]) {
      await expectRecordRefusal(store.append('a', [{ type: 't', payload: 1, at: at as number }], 0), 'events[0].at', expected)
      await expectRecordRefusal(store.saveSnapshot('a', { seq: 1, data: 1, at: at as number }), 'snapshot.at', expected)
    }
    const before = Date.now()
    await store.saveSnapshot('a', { seq: 1, data: 1 })
    const after = Date.now()
    const { at } = (await store.loadSnapshot('a'))!
    expect(at).toBeGreaterThanOrEqual(before)
    expect(at).toBeLessThanOrEqual(after)
    await store.saveSnapshot('a', { seq: 2, data: 1, at: -5.5 })
    expect((await store.loadSnapshot('a'))!.at).toBe(-5.5)
  })

  it('events: an array of objects, each named by its index', async () => {
    const store = open()
    await expectRecordRefusal(store.append('a', { length: 1 } as never, 0), 'events', 'an array of events')
    await expectRecordRefusal(store.append('a', [{ type: 't', payload: 1 }, null as never], 0), 'events[1]', 'an event { type, payload, version?, tags?, at? }')
    await expectRecordRefusal(store.append('a', ['t' as never], 0), 'events[0]', 'an event { type, payload, version?, tags?, at? }')
  })

  it('appendBatch: an array of request objects, each path prefixed by its request', async () => {
    const store = open()
    await expectRecordRefusal(store.appendBatch('x' as never), 'requests', 'an array of { id, expectedSeq, events }')
    await expectRecordRefusal(store.appendBatch([{ id: 'a', expectedSeq: 0, events: [] }, null as never]), 'requests[1]', 'an object { id, expectedSeq, events }')
    await expectRecordRefusal(store.appendBatch([7 as never]), 'requests[0]', 'an object { id, expectedSeq, events }')
    await expectRecordRefusal(store.appendBatch([{ id: '', expectedSeq: 0, events: [] }]), 'requests[0].id', 'a non-empty string without NUL characters')
    await expectRecordRefusal(store.appendBatch([{ id: 'a', expectedSeq: -1, events: [] }]), 'requests[0].expectedSeq', 'an integer >= 0')
    await expectRecordRefusal(store.appendBatch([{ id: 'a', expectedSeq: 0, events: 'x' as never }]), 'requests[0].events', 'an array of events')
    expect(await store.listIds()).toEqual([])
  })

  it('snapshots: an object; an expectedSeq of null or undefined is not checked as a count', async () => {
    const store = open()
    await expectRecordRefusal(store.saveSnapshot('a', null as never), 'snapshot', 'an object { seq, data, version? }')
    await expectRecordRefusal(store.saveSnapshot('a', 'x' as never), 'snapshot', 'an object { seq, data, version? }')
    await expectRecordRefusal(store.saveSnapshot('a', { seq: 1, data: 1, expectedSeq: 'none' as never }), 'snapshot.expectedSeq', 'an integer >= 0')
    expect(await store.saveSnapshot('a', { seq: 1, data: 1, expectedSeq: undefined })).toBe(true)
    expect(await store.saveSnapshot('a', { seq: 0, data: 2 })).toBe(false) // unconditional: older than the kept one
    expect(await store.saveSnapshot('a', { seq: 0, data: 3, expectedSeq: 1 })).toBe(true) // fenced: whatever its seq
    expect((await store.loadSnapshot('a'))!.data).toBe(3)
  })
})

describe('the checks on read options', () => {
  it('read: fromSeq an integer >= 1, limit an integer >= 0, both named in the error', async () => {
    const store = open()
    await store.append('a', [1, 2, 3].map((n) => ({ type: 't', payload: n })), 0)
    for (const fromSeq of [0, 1.5, '2']) {
      const error = await refusal(store.read('a', { fromSeq: fromSeq as number }))
      expect(error).toBeInstanceOf(InvalidOptionError)
      expect(error).toMatchObject({ option: 'read.fromSeq', message: expect.stringContaining('must be an integer >= 1;') })
    }
    for (const limit of [-1, 0.5, '1']) {
      const error = await refusal(store.read('a', { limit: limit as number }))
      expect(error).toMatchObject({ option: 'read.limit', message: expect.stringContaining('must be an integer >= 0;') })
    }
    expect((await store.read('a', { fromSeq: 1, limit: 2 })).map((e) => e.seq)).toEqual([1, 2])
    expect((await store.readPayloads('a', { fromSeq: 3, limit: 5 })).map((e) => e.payload)).toEqual([3])
    const error = await refusal(store.read('a', 'all' as never))
    expect(error).toMatchObject({ option: 'read', message: expect.stringContaining('must be an object or undefined') })
  })

  it('queryByTag: from an integer >= 0 (0 included), limit an integer >= 0', async () => {
    const store = open()
    await store.append('a', [{ type: 't', payload: 1, tags: ['x'] }], 0)
    const error = await refusal(store.queryByTag('x', { from: -1 }))
    expect(error).toMatchObject({ option: 'queryByTag.from', message: expect.stringContaining('must be an integer >= 0;') })
    expect(await refusal(store.queryByTag('x', { limit: -1 }))).toMatchObject({ option: 'queryByTag.limit' })
    expect((await store.queryByTag('x', { from: 0 })).events).toHaveLength(1)
  })

  it('queryByTag: at most limit events, from the position asked', async () => {
    const store = open()
    await store.append('a', [1, 2, 3].map((n) => ({ type: 't', payload: n, tags: ['x'] })), 0)
    const first = await store.queryByTag('x', { limit: 1 })
    expect(first.events.map((e) => e.payload)).toEqual([1])
    expect((await store.queryByTag('x', { from: first.next, limit: 5 })).events.map((e) => e.payload)).toEqual([2, 3])
  })

  it('listSnapshots: the prefix is a string without NUL characters', async () => {
    const store = open()
    const error = await refusal(store.listSnapshots({ prefix: 1 as never }))
    expect(error).toMatchObject({ option: 'listSnapshots.prefix', message: expect.stringContaining('must be a string without NUL characters;') })
    expect(await refusal(store.listSnapshots('x' as never))).toMatchObject({ option: 'listSnapshots options' })
  })
})

describe('delete', () => {
  it('takes an id out of every tag its events carried', async () => {
    const store = open()
    await store.append('a', [{ type: 't', payload: 1, tags: ['x', 'y'] }, { type: 't', payload: 2, tags: ['z'] }], 0)
    await store.append('b', [{ type: 't', payload: 3, tags: ['x'] }], 0)
    expect(await store.delete('a')).toBe(true)
    for (const tag of ['y', 'z']) expect((await store.queryByTag(tag)).events).toEqual([])
    expect((await store.queryByTag('x')).events.map((e) => e.id)).toEqual(['b'])
  })
})

describe('guard, around every store call', () => {
  it('turns what a driver throws into StoreUnavailableError naming the store and operation', async () => {
    const disk = new Error('disk I/O error')
    const error = await guard('SqliteStore', 'append', false, () => {
      throw disk
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect(error).toMatchObject({ store: 'SqliteStore', operation: 'append', cause: disk })
    const rejected = await guard('PostgresStore', 'read', false, () => Promise.reject(disk)).catch((e: unknown) => e)
    expect(rejected).toMatchObject({ store: 'PostgresStore', operation: 'read', cause: disk })
  })

  it('lets keepsake errors through and resolves with what the call resolves with', async () => {
    const own = new InvalidRecordError('id', 'x', 1)
    expect(await guard('S', 'op', false, () => Promise.reject(own)).catch((e: unknown) => e)).toBe(own)
    expect(await guard('S', 'op', false, () => 42)).toBe(42)
  })

  it('once closed, runs nothing and rejects with StoreClosedError naming the operation', async () => {
    let ran = false
    const error = await guard('S', 'listIds', true, () => (ran = true)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreClosedError)
    expect((error as Error).message).toContain('listIds can\'t run')
    expect(ran).toBe(false)
  })
})
