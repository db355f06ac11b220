import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JournalConflictError } from '../../src/stores/errors'
import { GroupCommit, type GroupOutcome } from '../../src/stores/groupCommit'
import { PostgresStore } from '../../src/stores/PostgresStore'
import { encodeAppend, planEach } from '../../src/stores/requests'
import { startPostgres, type PostgresServer } from '../support/postgres'
import { deferred } from '../support/deferred'

describe('GroupCommit', () => {
  /** A GroupCommit whose writes are held until released; records each group. */
  function held() {
    const groups: number[][] = []
    const gates: ReturnType<typeof deferred<void>>[] = []
    const group = new GroupCommit<number, number>(async (requests) => {
      groups.push([...requests])
      const gate = deferred<void>()
      gates.push(gate)
      await gate.promise
      return requests.map((n): GroupOutcome<number> => (n < 0 ? { ok: false, error: new Error(`bad ${n}`) } : { ok: true, value: n * 10 }))
    })
    return { group, groups, gates }
  }
  const tick = () => new Promise((resolve) => setImmediate(resolve))

  it('writes a lone request at once, and the requests made while it is in flight together next, in order', async () => {
    const { group, groups, gates } = held()
    const first = group.submit(1)
    await tick()
    expect(groups).toEqual([[1]])
    const rest = [2, 3, 4].map((n) => group.submit(n))
    await tick()
    expect(groups).toEqual([[1]])
    gates[0]!.resolve()
    expect(await first).toBe(10)
    await tick()
    expect(groups).toEqual([[1], [2, 3, 4]])
    gates[1]!.resolve()
    expect(await Promise.all(rest)).toEqual([20, 30, 40])
  })

  it('requests made in one synchronous run share a group; one failing alone does not fail the others', async () => {
    const { group, groups, gates } = held()
    const results = [1, -2, 3].map((n) => group.submit(n).catch((error: Error) => error.message))
    await tick()
    expect(groups).toEqual([[1, -2, 3]])
    gates[0]!.resolve()
    expect(await Promise.all(results)).toEqual([10, 'bad -2', 30])
  })

  it('a write that throws fails every request of its group, and the next group is written', async () => {
    let calls = 0
    const group = new GroupCommit<number, number>(async (requests) => {
      if (calls++ === 0) throw new Error('connection lost')
      return requests.map((n) => ({ ok: true, value: n }))
    })
    const failed = [1, 2].map((n) => group.submit(n).catch((error: Error) => error.message))
    expect(await Promise.all(failed)).toEqual(['connection lost', 'connection lost'])
    expect(await group.submit(3)).toBe(3)
  })

  it('a request the write answered no outcome for fails alone, saying so; the others get theirs', async () => {
    const group = new GroupCommit<number, number>(async (requests) => requests.slice(0, 1).map((n) => ({ ok: true, value: n })))
    const results = [1, 2].map((n) => group.submit(n).catch((error: Error) => error.message))
    expect(await Promise.all(results)).toEqual([1, 'the group write answered no outcome for this request'])
  })
})

describe('planEach', () => {
  it('fails the whole group on an error other than a conflict: nothing of it may be written', () => {
    const unreadable = new Error('the journals\' ends could not be read')
    const request = encodeAppend('a', [{ type: 't', payload: 1 }], 0, 0)
    expect(() =>
      planEach([request], () => {
        throw unreadable
      })
    ).toThrow(unreadable)
  })
})

describe('PostgresStore group commit', () => {
  let server: PostgresServer
  let store: PostgresStore
  beforeAll(async () => {
    server = await startPostgres()
    store = await PostgresStore.open({ config: server.connection, schema: 'group_commit' })
  }, 60_000)
  afterAll(async () => {
    await store?.close()
    await server?.stop()
  })

  it('concurrent appends: each journal checked on its own in a group (one conflict fails alone), chained appends on one journal in order', async () => {
    // Many at once: while the first transaction is in flight, the others make a group.
    const writes = Array.from({ length: 40 }, (_, i) => store.append(`j${i}`, [{ type: 'add', payload: i }], 0))
    // Two at the same expectedSeq on one journal: exactly one wins.
    const racing = [store.append('race', [{ type: 'add', payload: 'x' }], 0), store.append('race', [{ type: 'add', payload: 'y' }], 0)]
    // A chain on one journal, asked for at once: each expects the one before it.
    const chain = [0, 1, 2].map((seq) => store.append('chain', [{ type: 'add', payload: seq }], seq))
    expect(await Promise.all(writes)).toEqual(writes.map(() => 1))
    const [x, y] = await Promise.allSettled(racing)
    expect(x).toEqual({ status: 'fulfilled', value: 1 })
    expect(y?.status === 'rejected' && y.reason).toBeInstanceOf(JournalConflictError)
    expect(await Promise.all(chain)).toEqual([1, 2, 3])
    expect((await store.read('race')).map((e) => e.payload)).toEqual(['x'])
    expect((await store.read('chain')).map((e) => e.payload)).toEqual([0, 1, 2])
    // Positions still unique and increasing in commit order across journals.
    const positions = (await Promise.all(['j0', 'j39', 'race', 'chain'].map((id) => store.read(id)))).flat().map((e) => e.position)
    expect(new Set(positions).size).toBe(positions.length)
    // A later lone append lands after them all.
    await store.append('later', [{ type: 'add', payload: 0 }], 0)
    expect((await store.read('later'))[0]!.position).toBeGreaterThan(Math.max(...positions))
  })
})
