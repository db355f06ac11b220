import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, MemoryStore, startBranch, type AnyBranch } from '../../src/index'
import { stoppedAfterEach } from '../support/cleanup'
import { HeldStore } from '../support/stores'

// A call that has no group key (its grouper returned undefined, or it said
// dedupe: false) is its own execution: it joins no other call in flight.

const started = stoppedAfterEach<AnyBranch>()

const counter = fromTransition((n: number, e: { type: 'inc'; group?: string }) => (e.type === 'inc' ? n + 1 : n), 0)

describe('calls without a group key', () => {
  it('a grouper that returns undefined, or dedupe: false, leaves each call its own execution while others are in flight', async () => {
    // Held writes keep each call in flight until released, so a call made meanwhile could join it.
    const store = new HeldStore(new MemoryStore())
    const branch = await startBranch({ logic: counter, grouper: (e) => (e as { group?: string }).group, durable: { store, id: 'opt-out' } })
    started.push(branch)
    const release = store.hold()
    const calls = [
      call(branch, { type: 'inc' }),
      call(branch, { type: 'inc' }),
      call(branch, { type: 'inc', group: 'g' }, { dedupe: false }),
      call(branch, { type: 'inc', group: 'g' }, { dedupe: false }),
      call(branch, { type: 'inc', group: 'g' }),
      call(branch, { type: 'inc', group: 'g' })
    ]
    release()
    // Four executions of their own, then one the last two share.
    expect(await Promise.all(calls)).toEqual([1, 2, 3, 4, 5, 5])
  })
})
