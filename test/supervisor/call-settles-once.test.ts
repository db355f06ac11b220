import { describe, expect, it } from 'vitest'
import { call, CallTimeoutError, MemoryStore, startBranch, type AnyBranch } from '../../src/index'
import { observe } from '../../src/supervisor/observe'
import type { Call } from '../../src/supervisor/Call'
import { counterReducer } from '../support/logics'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'
import { HeldStore } from '../support/stores'
import { turns } from '../support/deferred'

// A call settles exactly once. Its answer may still be on its way when it
// settles otherwise: here the answer waits for a held durable write while the
// call times out. When the write lands, the answer finds the call settled and
// changes nothing: observers hear of the call once, and it stays timed out.

const started = stoppedAfterEach<AnyBranch>()

describe('a call settles once', () => {
  it('a call that timed out while its answer waited for a write stays timed out when the write lands', async () => {
    const clock = new ManualClock()
    const store = new HeldStore(new MemoryStore())
    const branch = await startBranch({ logic: counterReducer, durable: { store, id: 'once' }, clock })
    started.push(branch)
    const settled: Call[] = []
    const stop = observe({ settled: (b, c) => b === branch && settled.push(c) })
    try {
      const release = store.hold()
      const outcome = call(branch, { type: 'inc' }, { timeout: 100 }).catch((e: unknown) => e)
      while (store.waiting === 0) await turns(1)
      clock.advance(100)
      expect(await outcome).toBeInstanceOf(CallTimeoutError)
      expect(settled).toHaveLength(1)
      release()
      expect(await call(branch, { type: 'get' })).toBe(1) // the write landed, and the branch goes on
      await turns()
      const [timedOut] = settled
      expect(settled.filter((c) => c === timedOut)).toHaveLength(1)
      expect(timedOut?.failed).toBe(true)
      expect(timedOut?.outcome).toBeInstanceOf(CallTimeoutError)
    } finally {
      stop()
    }
  })
})
