import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { callAll, cast, startBranch, WorkerCrashedError, type AnyBranch } from '../../src/index'
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
})
