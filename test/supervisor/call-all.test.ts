import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, callAll, cast, InvalidRecordError, KeepsakeError, startBranch, UnkeepableStateError, WorkerCrashedError, type AnyBranch } from '../../src/index'
import { stoppedAfterEach } from '../support/cleanup'
import { FlakyStore } from '../support/stores'

const started = stoppedAfterEach<AnyBranch>()

type Op = { type: 'push'; n: number; fail?: boolean } | { type: 'get' }
const list = fromTransition((xs: readonly number[], e: Op) => {
  if (e.type !== 'push') return xs
  if (e.fail) throw new Error(`push ${e.n} failed`)
  return [...xs, e.n]
}, [] as readonly number[])

describe('callAll: several events as one message, all or none', () => {
  it('applies them all, in order, and resolves with the state after the last', async () => {
    const branch = await startBranch({ logic: list })
    started.push(branch)
    expect(await callAll(branch, [{ type: 'push', n: 1 }, { type: 'push', n: 2 }, { type: 'push', n: 3 }])).toEqual([1, 2, 3])
  })

  it('if one crashes the worker, none is kept', async () => {
    const branch = await startBranch({ logic: list })
    started.push(branch)
    await callAll(branch, [{ type: 'push', n: 0 }])
    const error = await callAll(branch, [{ type: 'push', n: 1 }, { type: 'push', n: 2 }, { type: 'push', n: 3, fail: true }, { type: 'push', n: 4 }]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WorkerCrashedError)
    expect(await callAll(branch, [{ type: 'get' }])).toEqual([0])
  })

  it('nothing is delivered in between: a message sent from inside the batch waits for its end', async () => {
    const echo = fromTransition((xs: readonly string[], e: { type: 'a' | 'b' | 'echo' }) => {
      if (e.type === 'a') cast('echoer', { type: 'echo' })
      return [...xs, e.type]
    }, [] as readonly string[])
    const branch = await startBranch({ logic: echo, name: 'echoer' })
    started.push(branch)
    await callAll(branch, [{ type: 'a' }, { type: 'b' }])
    expect(branch.state()).toEqual(['a', 'b', 'echo'])
  })

  it('durable journal: written in one append; a crashed batch writes nothing', async () => {
    const store = new FlakyStore()
    const branch = await startBranch({ logic: list, name: 'batched-journal', durable: { store, mode: 'journal', snapshotEvery: 0 } })
    started.push(branch)
    await callAll(branch, [{ type: 'push', n: 1 }, { type: 'push', n: 2 }, { type: 'push', n: 3 }])
    expect(store.appends).toBe(1)
    expect((await store.read('batched-journal')).map((e) => e.seq)).toEqual([1, 2, 3])
    await callAll(branch, [{ type: 'push', n: 4 }, { type: 'push', n: 5, fail: true }]).catch(() => {})
    expect(store.appends).toBe(1)
    expect(await store.lastSeq('batched-journal')).toBe(3)
  })

  it('rejects an empty or malformed batch with a typed error', async () => {
    const branch = await startBranch({ logic: list })
    started.push(branch)
    await expect(callAll(branch, [])).rejects.toThrow(/non-empty array/)
    await expect(callAll(branch, [{ type: 'push', n: 1 }, 'oops' as never])).rejects.toThrow(/event object/)
    expect(branch.state()).toEqual([])
  })

  // Events whose extra field the logic never keeps: only the journal reads them whole.
  const withGetter = () => Object.defineProperty({ type: 'push', n: 9 }, 'extra', { enumerable: true, get: () => { throw new Error('hostile getter') } })
  const withTrap = () => new Proxy({ type: 'push', n: 9 }, { ownKeys: () => { throw new Error('hostile ownKeys') } })
  const deep = () => ({ type: 'push', n: 9, extra: JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown })
  it.each([
    ['a throwing getter', withGetter],
    ['a Proxy whose ownKeys throws', withTrap],
    ['a field nested 100,000 levels deep', deep]
  ])('issue 15 item 3: durable journal, one event with %s: the batch rejects with a typed error, nothing of it is applied or written, and the branch answers the next call', async (_, hostile) => {
    for (const durability of ['sync', 'batched'] as const) {
      const store = new FlakyStore()
      const id = `hostile-batch-${durability}`
      const branch = await startBranch({ logic: list, name: id, durable: { store, mode: 'journal', durability, snapshotEvery: 0 } })
      started.push(branch)
      await callAll(branch, [{ type: 'push', n: 1 }])
      const error = await callAll(branch, [{ type: 'push', n: 2 }, hostile() as never, { type: 'push', n: 3 }]).catch((e: unknown) => e)
      expect(error, durability).toBeInstanceOf(InvalidRecordError)
      expect(error).toBeInstanceOf(KeepsakeError)
      expect(await call(branch, { type: 'push', n: 4 }, { timeout: 5000 }), durability).toEqual([1, 4])
      expect(branch.status).toBe('running')
      // The journal holds the call before and the call after, none of the batch.
      expect((await store.read(id)).map((e) => (e.payload as { n: number }).n)).toEqual([1, 4])
    }
  })

  it('issue 15 item 3: a hostile event the logic keeps fails the batch as a crash (UnkeepableStateError); nothing is written', async () => {
    const keeping = fromTransition((xs: readonly unknown[], e: { type: 'push'; n: unknown }) => [...xs, e], [] as readonly unknown[])
    const store = new FlakyStore()
    const branch = await startBranch({ logic: keeping, name: 'keeps-hostile', durable: { store, mode: 'journal', snapshotEvery: 0 } })
    started.push(branch)
    const error = await callAll(branch, [{ type: 'push', n: 1 }, withGetter() as never]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WorkerCrashedError)
    expect((error as Error).cause).toBeInstanceOf(UnkeepableStateError)
    expect(await call(branch, { type: 'push', n: 2 })).toEqual([{ type: 'push', n: 2 }])
    expect(await store.lastSeq('keeps-hostile')).toBe(1)
  })
})
