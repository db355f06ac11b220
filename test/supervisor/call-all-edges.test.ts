import { describe, expect, it } from 'vitest'
import { call, callAll, startBranch, WorkerCrashedError, type AnyBranch } from '../../src/index'
import { counterReducer } from '../support/logics'
import { stoppedAfterEach } from '../support/cleanup'

// A `callAll` batch is restored as a whole only while it is being delivered:
// once it ended, a later crash goes back to the kept state, as for any message.

const started = stoppedAfterEach<AnyBranch>()

describe('after a callAll batch', () => {
  it('a later crash restarts from the kept state, not from the state before the batch', async () => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    expect(await callAll(branch, [{ type: 'inc' }, { type: 'inc' }])).toBe(2)
    expect(await call(branch, { type: 'inc' })).toBe(3)
    const restarted = new Promise((resolve) => branch.once('restart', resolve))
    branch.kill()
    await restarted
    expect(await call(branch, { type: 'get' })).toBe(3)
  })

  it('a batch that crashes goes back to the state before it, and the next batch is kept whole', async () => {
    const branch = await startBranch({ logic: counterReducer })
    started.push(branch)
    expect(await call(branch, { type: 'inc' })).toBe(1)
    await expect(callAll(branch, [{ type: 'inc' }, { type: 'crash' }])).rejects.toBeInstanceOf(WorkerCrashedError)
    expect(await callAll(branch, [{ type: 'inc' }, { type: 'inc' }])).toBe(3)
  })
})
