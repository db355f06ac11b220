import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, CallTimeoutError, deferReply, MemoryStore, respond, startBranch, type AnyBranch } from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'
import { HeldStore } from '../support/stores'
import { turns } from '../support/deferred'

// A call can time out while its message still waits in the mailbox (here,
// behind a durable write held at a gate). Its message is processed later all
// the same, but the call is settled: the logic's answer reaches no one and
// says so, and a deferral of it is not waited for, so the branch stops
// gracefully without waiting out its stop timeout.

const started = stoppedAfterEach<AnyBranch>()

type Event = { type: 'bump' } | { type: 'answer' } | { type: 'defer' }
const answers: boolean[] = []

const logic = fromTransition((n: number, e: Event) => {
  if (e.type === 'answer') answers.push(respond('too late'))
  if (e.type === 'defer') deferReply()
  return n + 1
}, 0)

async function queuedBehindAWrite(type: 'answer' | 'defer') {
  const clock = new ManualClock()
  const store = new HeldStore(new MemoryStore())
  const branch = await startBranch({ logic, clock, durable: { store, id: `queued-${type}` } })
  started.push(branch)
  const release = store.hold()
  const bumped = call(branch, { type: 'bump' })
  const queued = call(branch, { type }, { timeout: 100 }).catch((e: unknown) => e)
  clock.advance(100)
  expect(await queued).toBeInstanceOf(CallTimeoutError)
  release()
  await bumped
  await turns()
  expect(branch.state()).toBe(2) // the timed-out call's message was processed
  return { clock, branch }
}

describe('a call that timed out while its message was queued', () => {
  it("is answered by no one: the logic's respond() says false", async () => {
    answers.length = 0
    await queuedBehindAWrite('answer')
    expect(answers).toEqual([false])
  })

  it('is not waited for once deferred: the branch stops without waiting out its stop timeout', async () => {
    const { branch } = await queuedBehindAWrite('defer')
    let stopped = false
    const stopping = branch.stop({ timeout: 60_000 }).then(() => (stopped = true))
    await turns()
    expect(stopped).toBe(true)
    await stopping
  })
})
