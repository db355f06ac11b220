import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, CallTimeoutError, deferReply, replyTo, startBranch } from '../../src/index'
import { ManualClock } from '../support/ManualClock'

// An execution every caller gave up on is abandoned as a timed-out call is:
// the branch no longer waits for its deferred reply.

describe('an abandoned execution', () => {
  it("is dropped like a timed-out call: a graceful stop does not wait for its deferred reply", async () => {
    const clock = new ManualClock()
    const logic = fromTransition((n: number, e: { type: string }) => {
      if (e.type === 'op') {
        const token = deferReply()
        clock.setTimeout(() => replyTo(token, n), 500)
      }
      return n + 1
    }, 0)
    const branch = await startBranch({ logic, clock })
    const gaveUp = call(branch, { type: 'op' }, { dedupe: true, timeout: 10 }).catch((e: unknown) => e)
    clock.advance(10)
    expect(await gaveUp).toBeInstanceOf(CallTimeoutError)

    let stopped = false
    const stopping = branch.stop({ timeout: 1000 }).then(() => (stopped = true))
    await new Promise((resolve) => setImmediate(resolve))
    expect(stopped).toBe(true)
    expect(clock.now()).toBe(10)
    await stopping
  })
})
