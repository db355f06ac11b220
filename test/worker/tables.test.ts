import { describe, expect, it } from 'vitest'
import { createActor, fromTransition } from 'xstate'
import { call, cast, NotInBranchError, startBranch, table, type AnyBranch } from '../../src/index'
import { stoppedAfterEach } from '../support/cleanup'

const started = stoppedAfterEach<AnyBranch>()

type Event = { type: 'see'; id: string } | { type: 'seen' } | { type: 'crash' }

/** Remembers ids in a table rather than in its state. */
const watcher = fromTransition((n: number, event: Event, { self }) => {
  const seen = table<string, number>(self, 'seen')
  if (event.type === 'see') seen.set(event.id, (seen.get(event.id) ?? 0) + 1)
  if (event.type === 'seen') return [...seen.entries()] as unknown as number
  if (event.type === 'crash') throw new Error('crash')
  return n + 1
}, 0)

describe('tables (Peeper keep_ets)', () => {
  it('survive crashes and are handed to the restarted worker', async () => {
    const branch = await startBranch({ logic: watcher })
    started.push(branch)
    cast(branch, { type: 'see', id: 'a' })
    cast(branch, { type: 'see', id: 'b' })
    cast(branch, { type: 'see', id: 'a' })
    branch.kill()
    await call(branch, { type: 'crash' }).catch(() => {})
    expect(await call(branch, { type: 'seen' })).toEqual([
      ['a', 2],
      ['b', 1]
    ])
  })

  it('are private: an actor outside the branch, or a dead incarnation, cannot reach them', async () => {
    const branch = await startBranch({ logic: watcher })
    started.push(branch)
    const dead = branch.worker()!
    branch.kill()
    expect(() => table(dead, 'seen')).toThrow(NotInBranchError)
    const outsider = createActor(fromTransition((n: number) => n, 0)).start()
    expect(() => table(outsider, 'seen')).toThrow(NotInBranchError)
    outsider.stop()
    expect(() => table({}, 'seen')).toThrow(NotInBranchError)
    expect(table(branch.worker()!, 'seen')).toBeInstanceOf(Map)
  })

  it('are separate for separate branches', async () => {
    const one = await startBranch({ logic: watcher })
    const two = await startBranch({ logic: watcher })
    started.push(one, two)
    cast(one, { type: 'see', id: 'x' })
    expect(await call(two, { type: 'seen' })).toEqual([])
  })
})
