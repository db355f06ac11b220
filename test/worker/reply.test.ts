import { describe, expect, it } from 'vitest'
import { assign, fromPromise, fromTransition, setup } from 'xstate'
import {
  call,
  CallTimeoutError,
  cast,
  deferReply,
  reply,
  replyTo,
  respond,
  startBranch,
  WorkerCrashedError,
  type Replies,
  type AnyBranch,
  type ReplyToken
} from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { deferred } from '../support/deferred'
import { stoppedAfterEach } from '../support/cleanup'

const started = stoppedAfterEach<AnyBranch>()

/** `fetch` defers its reply until the invoked `load` actor resolves (GenServer's noreply + reply/2). */
function fetcher(load: () => Promise<string>) {
  return setup({
    types: {
      context: {} as { pending: ReplyToken | null; fetched: number },
      events: {} as { type: 'fetch' } | { type: 'stall' } | ({ type: 'get' } & Replies<number>)
    },
    actors: { load: fromPromise(load) }
  }).createMachine({
    context: { pending: null, fetched: 0 },
    initial: 'idle',
    on: { get: { actions: reply(({ context }) => context.fetched) } },
    states: {
      idle: {
        on: {
          fetch: { target: 'loading', actions: assign({ pending: () => deferReply() }) },
          // Takes the token and never answers.
          stall: { actions: assign({ pending: () => deferReply() }) }
        }
      },
      loading: {
        invoke: {
          src: 'load',
          onDone: {
            target: 'idle',
            actions: [
              ({ context, event }) => replyTo(context.pending, event.output),
              assign({ pending: null, fetched: ({ context }) => context.fetched + 1 })
            ]
          }
        }
      }
    }
  })
}

describe('replies', () => {
  it('a deferred reply arrives when the invoked promise resolves, with its state kept first', async () => {
    const gate = deferred<string>()
    const branch = await startBranch({ logic: fetcher(() => gate.promise) })
    started.push(branch)
    const answer = call(branch, { type: 'fetch' })
    let settled = false
    void answer.then(() => (settled = true))
    await Promise.resolve()
    expect(settled).toBe(false)

    gate.resolve('payload')
    expect(await answer).toBe('payload')
    expect(branch.state()).toEqual({ pending: null, fetched: 1 })
  })

  it('a worker crash while a deferred reply is pending rejects that call', async () => {
    const branch = await startBranch({ logic: fetcher(() => new Promise<string>(() => {})) })
    started.push(branch)
    const answer = call(branch, { type: 'fetch' }).catch((e: unknown) => e)
    await Promise.resolve()
    branch.kill(new Error('unplugged'))
    const error = (await answer) as WorkerCrashedError
    expect(error).toBeInstanceOf(WorkerCrashedError)
    expect((error.cause as Error).message).toBe('unplugged')
  })

  it('a call not answered in time rejects with CallTimeoutError, and its late reply is dropped', async () => {
    const clock = new ManualClock()
    const branch = await startBranch({ logic: fetcher(async () => 'x'), clock })
    started.push(branch)
    const answer = call(branch, { type: 'stall' }, { timeout: 250 }).catch((e: unknown) => e)
    const token = branch.state().pending
    clock.advance(249)
    clock.advance(1)
    const error = (await answer) as CallTimeoutError
    expect(error).toBeInstanceOf(CallTimeoutError)
    expect(error.timeout).toBe(250)

    expect(replyTo(token, 'too late')).toBe(false)
    // The next caller gets its own answer, not the dropped one.
    expect(await call(branch, { type: 'get' })).toBe(0)
    expect(clock.pending).toBe(0)
  })

  it('a token whose call timed out never answers a later deferred call, on this branch or another (tokens are not reused)', async () => {
    const clock = new ManualClock()
    const branches = [await startBranch({ logic: fetcher(async () => 'x'), clock }), await startBranch({ logic: fetcher(async () => 'x'), clock })]
    started.push(...branches)
    const dead: ReplyToken[] = []
    for (let round = 0; round < 20; round++) {
      const branch = branches[round % 2] as (typeof branches)[number]
      // A deferred call times out: its token is dead from now on.
      const late = call(branch, { type: 'stall' }, { timeout: 10 }).catch((e: unknown) => e)
      dead.push(branch.state().pending as ReplyToken)
      clock.advance(10)
      expect(await late).toBeInstanceOf(CallTimeoutError)
      if (round === 10) branch.kill() // a new incarnation changes nothing
      // The next deferred caller, on either branch, has a token of its own that no dead one reaches.
      const next = branches[(round + 1) % 2] as (typeof branches)[number]
      let outcome: unknown = 'pending'
      const waiting = call(next, { type: 'stall' }, { timeout: Infinity }).then((value) => (outcome = value))
      const token = next.state().pending as ReplyToken
      expect(dead).not.toContain(token)
      for (const old of dead) expect(replyTo(old, `late answer to ${old}`)).toBe(false)
      await Promise.resolve()
      expect(outcome).toBe('pending')
      expect(replyTo(token, `answer ${round}`)).toBe(true)
      await waiting
      expect(outcome).toBe(`answer ${round}`)
    }
  })

  it('a reducer answers with respond(); a call it does not answer gets the state', async () => {
    const logic = fromTransition((n: number, e: { type: 'inc' } | { type: 'double' }) => {
      if (e.type === 'double') respond(n * 2)
      return e.type === 'inc' ? n + 1 : n
    }, 20)
    const branch = await startBranch({ logic })
    started.push(branch)
    expect(await call(branch, { type: 'double' })).toBe(40)
    expect(await call(branch, { type: 'inc' })).toBe(21)
  })

  it('an answer given in a transition that then throws is never delivered', async () => {
    const logic = fromTransition((n: number, e: { type: 'answerThenThrow' } | { type: 'get' }) => {
      if (e.type === 'answerThenThrow') {
        respond('premature')
        throw new Error('after answering')
      }
      return n
    }, 1)
    const branch = await startBranch({ logic })
    started.push(branch)
    await expect(call(branch, { type: 'answerThenThrow' })).rejects.toBeInstanceOf(WorkerCrashedError)
    expect(await call(branch, { type: 'get' })).toBe(1)
  })

  it('the first answer wins; answering outside a call does nothing', async () => {
    let outcomes: boolean[] = []
    const logic = fromTransition((n: number, e: { type: 'twice' } | { type: 'token' }) => {
      if (e.type === 'twice') outcomes = [respond('first'), respond('second')]
      if (e.type === 'token') outcomes = [replyTo(deferReply(), 'unseen')]
      return n
    }, 0)
    const branch = await startBranch({ logic })
    started.push(branch)
    expect(await call(branch, { type: 'twice' })).toBe('first')
    expect(outcomes).toEqual([true, false])
    cast(branch, { type: 'token' })
    expect(outcomes).toEqual([false])
    expect(respond('nobody')).toBe(false)
    expect(replyTo('not a token' as ReplyToken, 1)).toBe(false)
    expect(replyTo(null, 1)).toBe(false)
  })
})
