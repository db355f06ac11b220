import { describe, expect, it } from 'vitest'
import { BranchStoppedError, call, cast, MemoryStore, startBranch, type AnyBranch } from '../../src/index'
import { counterReducer } from '../support/logics'
import { stoppedAfterEach } from '../support/cleanup'
import { HeldStore } from '../support/stores'

// Stopping a branch at once while messages are queued: casts are dropped,
// calls reject with BranchStoppedError, and the stop itself completes.

const started = stoppedAfterEach<AnyBranch>()

/** Lets promise callbacks and store I/O run a while. */
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

describe('a stop with messages queued', () => {
  it('casts and calls queued behind a held write: the casts are dropped, the calls reject, the stop completes', async () => {
    const store = new HeldStore(new MemoryStore())
    const branch = await startBranch({ logic: counterReducer, durable: { store, id: 'queued' } })
    started.push(branch)
    const release = store.hold()
    const first = call(branch, { type: 'inc' }).catch((e: unknown) => e)
    while (store.waiting === 0) await turns(1)
    cast(branch, { type: 'inc' })
    const queued = call(branch, { type: 'inc' }).catch((e: unknown) => e)
    cast(branch, { type: 'inc' })
    await expect(branch.stop({ timeout: 0 })).resolves.toBeUndefined()
    expect(await queued).toBeInstanceOf(BranchStoppedError)
    release()
    await first
    expect(branch.state()).toBe(1)
    expect(branch.status).toBe('stopped')
  })
})
