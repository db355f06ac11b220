import { describe, expect, it } from 'vitest'
import { assign, fromTransition, setup } from 'xstate'
import { call, cast, deferReply, InvalidOptionError, reply, replyTo, respond, startBranch, type AnyBranch, type Replies, type ReplyToken } from '../../src/index'
import { isActorLogic } from '../../src/worker/isActorLogic'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'

// The call being answered is the one whose message is being processed, and
// only while it is: a message sent to another branch from inside a transition
// gives the caller its own call back, a `reply` action run for a cast answers
// no one, and a settled call leaves no token behind in the process.

const started = stoppedAfterEach<AnyBranch>()

describe('reply() and the call being processed', () => {
  it('a transition that casts to another branch still answers its own call afterwards', async () => {
    const other = await startBranch({ logic: fromTransition((n: number) => n + 1, 0) })
    started.push(other)
    const asker = setup({ types: { events: {} as { type: 'ask' } & Replies<string> } }).createMachine({
      on: { ask: { actions: [() => cast(other, { type: 'ping' }), reply(() => 'from the asker')] } }
    })
    const branch = await startBranch({ logic: asker })
    started.push(branch)
    expect(await call(branch, { type: 'ask' })).toBe('from the asker')
    expect(other.state()).toBe(1)
  })

  it('after a call was processed, respond() from outside answers nothing', async () => {
    let token: ReplyToken | undefined
    const branch = await startBranch({
      logic: fromTransition((n: number, e: { type: 'hold' }) => {
        if (e.type === 'hold') token = deferReply()
        return n
      }, 0)
    })
    started.push(branch)
    const answer = call(branch, { type: 'hold' })
    expect(respond('not for it')).toBe(false)
    expect(replyTo(token, 'for it')).toBe(true)
    expect(await answer).toBe('for it')
  })

  it('a reply action run for a cast answers no one and does not crash the worker', async () => {
    const logic = setup({
      types: { context: {} as { n: number }, events: {} as { type: 'inc' } | ({ type: 'get' } & Replies<number>) }
    }).createMachine({
      context: { n: 0 },
      on: {
        inc: { actions: assign({ n: ({ context }) => context.n + 1 }) },
        get: { actions: reply(({ context }) => context.n) }
      }
    })
    const branch = await startBranch({ logic })
    started.push(branch)
    cast(branch, { type: 'inc' })
    cast(branch, { type: 'get' })
    expect(branch.children()[1]).toMatchObject({ restarts: 0 })
    expect(await call(branch, { type: 'get' })).toBe(1)
  })

  it('reply() refuses anything but a function, naming itself', () => {
    let error: unknown
    try {
      reply(42 as never)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).option).toBe('reply(fn)')
  })

  it('replyTo() with no token, or one that is not a string, answers nothing', () => {
    expect(replyTo(undefined, 1)).toBe(false)
    expect(replyTo(null, 1)).toBe(false)
    expect(replyTo(42 as unknown as ReplyToken, 1)).toBe(false)
    expect(replyTo(deferReply(), 1)).toBe(false)
  })
})

describe('deferred tokens', () => {
  // The process-wide reply table (shared by every copy of keepsake loaded, see processWide).
  const table = (globalThis as unknown as Record<symbol, { deferred: Map<string, unknown> }>)[Symbol.for('keepsake.replies.v1')]

  it('a deferred call that settles, answered or timed out, leaves no token behind', async () => {
    const clock = new ManualClock()
    let token: ReplyToken | undefined
    const branch = await startBranch({
      logic: fromTransition((n: number, e: { type: 'hold' }) => {
        if (e.type === 'hold') token = deferReply()
        return n
      }, 0),
      clock
    })
    started.push(branch)
    const before = table?.deferred.size ?? -1
    const answered = call(branch, { type: 'hold' })
    expect(table?.deferred.size).toBe(before + 1)
    replyTo(token, 'done')
    await answered
    expect(table?.deferred.size).toBe(before)
    const timedOut = call(branch, { type: 'hold' }, { timeout: 10 }).catch((e: unknown) => e)
    expect(table?.deferred.size).toBe(before + 1)
    clock.advance(10)
    await timedOut
    expect(table?.deferred.size).toBe(before)
  })

  it('a second deferReply in one message returns the same token and stores no other', async () => {
    let tokens: ReplyToken[] = []
    const branch = await startBranch({
      logic: fromTransition((n: number, e: { type: 'hold' }) => {
        if (e.type === 'hold') tokens = [deferReply(), deferReply()]
        return n
      }, 0)
    })
    started.push(branch)
    const before = table?.deferred.size ?? -1
    const answered = call(branch, { type: 'hold' })
    const stored = table?.deferred.size
    expect(replyTo(tokens[0], 'done')).toBe(true)
    expect(await answered).toBe('done')
    expect(tokens[1]).toBe(tokens[0])
    expect(stored).toBe(before + 1)
    expect(table?.deferred.size).toBe(before)
  })

  it('a call answered in its own message and then deferred stores no token', async () => {
    let token: ReplyToken | undefined
    const branch = await startBranch({
      logic: fromTransition((n: number, e: { type: 'hold' }) => {
        if (e.type === 'hold') {
          respond('now')
          token = deferReply()
        }
        return n
      }, 0)
    })
    started.push(branch)
    const before = table?.deferred.size ?? -1
    expect(await call(branch, { type: 'hold' })).toBe('now')
    expect(table?.deferred.size).toBe(before)
    expect(replyTo(token, 'later')).toBe(false)
  })
})

describe('isActorLogic', () => {
  it('answers false, not something falsy, for a value whose reading throws', () => {
    const hostile = new Proxy({}, { get: () => { throw new Error('trap') } })
    expect(isActorLogic(hostile)).toBe(false)
    expect(isActorLogic(null)).toBe(false)
    expect(isActorLogic(fromTransition((n: number) => n, 0))).toBe(true)
  })
})
