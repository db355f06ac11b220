import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, CallTimeoutError, deferReply, replyTo, startBranch, type AnyBranch, type ReplyToken } from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'

// A branch that is idle processes a call's message before `call` returns, so
// the caller's signal can abort while the message is processed, before the
// call listens to it. A call whose answer was deferred then still rejects
// with the signal's reason at once: it neither waits for its timeout nor
// leaves a listener on a signal that will never fire again.

const started = stoppedAfterEach<AnyBranch>()

describe('a signal aborted while its call is being processed', () => {
  it('rejects a deferred call with the reason at once, holding no timer or listener, and answers no late reply', async () => {
    const clock = new ManualClock()
    const controller = new AbortController()
    const reason = new Error('the caller left mid-message')
    let token: ReplyToken | undefined
    const branch = await startBranch({
      logic: fromTransition((n: number, e: { type: 'hold' }) => {
        if (e.type === 'hold') {
          token = deferReply()
          controller.abort(reason)
        }
        return n
      }, 0),
      clock
    })
    started.push(branch)

    const outcome = call(branch, { type: 'hold' }, { signal: controller.signal, timeout: 1000 }).catch((e: unknown) => e)
    expect(controller.signal.aborted).toBe(true)
    expect(clock.pending).toBe(0)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    // Were the call still waiting, this would time it out instead.
    clock.advance(1000)
    const error = await outcome
    expect(error).toBe(reason)
    expect(error).not.toBeInstanceOf(CallTimeoutError)
    expect(replyTo(token, 'too late')).toBe(false)
  })
})
