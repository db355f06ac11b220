import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, CallTimeoutError, deferReply, replyTo, startBranch, type AnyBranch, type ReplyToken } from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'

// A call holds a timer on the branch's clock and a listener on the caller's
// signal only while it waits: whichever way it settles (answered at once,
// answered later, timed out, aborted), both are let go of, and a call with no
// time limit holds no timer at all. A long-lived signal shared by many calls,
// or a clock a user counts, would otherwise collect them.

const started = stoppedAfterEach<AnyBranch>()

let held: ReplyToken | undefined
const logic = fromTransition((n: number, e: { type: 'add' } | { type: 'hold' }) => {
  if (e.type === 'hold') held = deferReply()
  return e.type === 'add' ? n + 1 : n
}, 0)

async function branchOnClock() {
  const clock = new ManualClock()
  const branch = await startBranch({ logic, clock })
  started.push(branch)
  expect(clock.pending).toBe(0)
  return { clock, branch }
}

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length

describe('what a call holds while it waits', () => {
  it('a call answered at once leaves no timer on the clock and no listener on its signal', async () => {
    const { clock, branch } = await branchOnClock()
    const { signal } = new AbortController()
    await expect(call(branch, { type: 'add' }, { signal, timeout: 1000 })).resolves.toBe(1)
    expect(clock.pending).toBe(0)
    expect(listeners(signal)).toBe(0)
  })

  it('a deferred call holds one timer and one listener until it is answered, then neither', async () => {
    const { clock, branch } = await branchOnClock()
    const { signal } = new AbortController()
    const answer = call(branch, { type: 'hold' }, { signal, timeout: 1000 })
    expect(clock.pending).toBe(1)
    expect(listeners(signal)).toBe(1)
    expect(replyTo(held, 'later')).toBe(true)
    await expect(answer).resolves.toBe('later')
    expect(clock.pending).toBe(0)
    expect(listeners(signal)).toBe(0)
    clock.advance(5000)
    expect(replyTo(held, 'again')).toBe(false)
  })

  it('a call with no time limit holds no timer', async () => {
    const { clock, branch } = await branchOnClock()
    const answer = call(branch, { type: 'hold' }, { timeout: Infinity })
    expect(clock.pending).toBe(0)
    replyTo(held, 'done')
    await expect(answer).resolves.toBe('done')
  })

  it('a call that times out lets go of its signal, and rejects naming the branch, event and limit', async () => {
    const { clock, branch } = await branchOnClock()
    const { signal } = new AbortController()
    const answer = call(branch, { type: 'hold' }, { signal, timeout: 1000 })
    clock.advance(999)
    expect(listeners(signal)).toBe(1)
    clock.advance(1)
    const error = (await answer.catch((e: unknown) => e)) as CallTimeoutError
    expect(error).toBeInstanceOf(CallTimeoutError)
    expect([error.branchId, error.timeout]).toEqual([branch.id, 1000])
    expect(error.message).toContain(`Call "hold" to branch "${branch.id}" got no reply within 1000 ms`)
    expect(listeners(signal)).toBe(0)
    expect(replyTo(held, 'late')).toBe(false)
  })

  it('an aborted call lets go of its timer, and a late answer reaches no one', async () => {
    const { clock, branch } = await branchOnClock()
    const controller = new AbortController()
    const answer = call(branch, { type: 'hold' }, { signal: controller.signal, timeout: 1000 })
    const reason = new Error('caller left')
    controller.abort(reason)
    await expect(answer).rejects.toBe(reason)
    expect(clock.pending).toBe(0)
    expect(listeners(controller.signal)).toBe(0)
    expect(replyTo(held, 'late')).toBe(false)
  })
})
