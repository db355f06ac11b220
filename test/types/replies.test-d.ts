import { describe, expectTypeOf, it } from 'vitest'
import { assign, fromTransition, setup, type EventObject } from 'xstate'
import {
  call,
  callAll,
  cast,
  reply,
  respond,
  send,
  startBranch,
  startPool,
  whereis,
  type Branch,
  type EventOf,
  type Replies,
  type ReplyOf
} from '../../src/index'

// Type-checked by vitest's typecheck mode (the `types` project in vitest.config.ts); nothing here runs.

const account = setup({
  types: {
    context: {} as { balance: number },
    events: {} as { type: 'deposit'; amount: number } | ({ type: 'balance' } & Replies<number>) | { type: 'close' }
  }
}).createMachine({
  context: { balance: 0 },
  on: {
    deposit: { actions: assign({ balance: ({ context, event }) => context.balance + event.amount }) },
    balance: { actions: reply(({ context }) => context.balance) }
  }
})

type Op = ({ type: 'double' } & Replies<number>) | ({ type: 'name' } & Replies<string>) | { type: 'inc' }
const doubler = fromTransition((n: number, e: Op) => {
  if (e.type === 'double') respond(n * 2)
  if (e.type === 'name') respond('doubler')
  return e.type === 'inc' ? n + 1 : n
}, 1)

const plain = fromTransition((n: number, e: { type: 'inc' } | { type: 'get' }) => (e.type === 'inc' ? n + 1 : n), 0)
const untyped = fromTransition((n: number, _e: EventObject) => n, 0)

declare module '../../src/index' {
  interface Register {
    names: { 'typed-account': typeof account; 'typed-doubler': typeof doubler }
  }
}

describe('replies declared on the event types', () => {
  it('a call resolves with the reply its event declares, with no generics at startBranch', async () => {
    const branch = await startBranch({ logic: account })
    expectTypeOf(branch).toEqualTypeOf<Branch<typeof account>>()
    expectTypeOf(call(branch, { type: 'balance' })).toEqualTypeOf<Promise<number>>()
    expectTypeOf(branch.call({ type: 'balance' })).toEqualTypeOf<Promise<number>>()
  })

  it('an event that declares no reply resolves with the state after it (reply() can not answer it otherwise)', async () => {
    const branch = await startBranch({ logic: account })
    expectTypeOf(call(branch, { type: 'deposit', amount: 1 })).toEqualTypeOf<Promise<{ balance: number }>>()
    const counter = await startBranch({ logic: plain })
    expectTypeOf(call(counter, { type: 'get' })).toEqualTypeOf<Promise<number>>()
  })

  it('a reducer answering with respond declares its replies the same way', async () => {
    const branch = await startBranch({ logic: doubler })
    expectTypeOf(call(branch, { type: 'double' })).toEqualTypeOf<Promise<number>>()
    expectTypeOf(call(branch, { type: 'name' })).toEqualTypeOf<Promise<string>>()
    expectTypeOf(call(branch, { type: 'inc' })).toEqualTypeOf<Promise<number>>()
  })

  it('an event whose type is not a literal, or a branch of unknown logic, replies unknown', async () => {
    const branch = await startBranch({ logic: untyped })
    expectTypeOf(call(branch, { type: 'anything' })).toEqualTypeOf<Promise<unknown>>()
    const found = whereis('somebody')
    if (found) expectTypeOf(call(found, { type: 'get' })).toEqualTypeOf<Promise<unknown>>()
  })

  it('callAll resolves with any of its events’ replies', async () => {
    const branch = await startBranch({ logic: doubler })
    expectTypeOf(callAll(branch, [{ type: 'inc' }, { type: 'name' }])).toEqualTypeOf<Promise<number | string>>()
  })

  it('a pool types its calls the same way', async () => {
    const pool = await startPool({ logic: account })
    expectTypeOf(pool.call('a', { type: 'balance' })).toEqualTypeOf<Promise<number>>()
    // @ts-expect-error an event the logic does not accept
    void pool.call('a', { type: 'withdraw' })
  })

  it('events are checked against the logic', async () => {
    const branch = await startBranch({ logic: account })
    // @ts-expect-error an event the logic does not accept
    void call(branch, { type: 'withdraw' })
    // @ts-expect-error a payload of the wrong type
    cast(branch, { type: 'deposit', amount: '10' })
    // @ts-expect-error a missing payload
    cast(branch, { type: 'deposit' })
    expectTypeOf(send(branch, { type: 'deposit', amount: 2 })).toEqualTypeOf<{ readonly type: 'deposit'; readonly amount: 2 }>()
  })

  it('the public helpers name a target’s events and replies', () => {
    expectTypeOf<EventOf<Branch<typeof plain>>>().toEqualTypeOf<{ type: 'inc' } | { type: 'get' }>()
    expectTypeOf<ReplyOf<Branch<typeof account>, { type: 'balance' }>>().toEqualTypeOf<number>()
    expectTypeOf<ReplyOf<'typed-account', { type: 'close' }>>().toEqualTypeOf<{ balance: number }>()
  })
})

describe('reply() is checked against the declaration', () => {
  it('a reply of another type than declared does not compile', () => {
    setup({ types: { context: {} as { n: number }, events: {} as { type: 'get' } & Replies<number> } }).createMachine({
      context: { n: 0 },
      // @ts-expect-error the declared reply is a number
      on: { get: { actions: reply(({ context }) => String(context.n)) } }
    })
  })

  it('an event that declares no reply can be answered with the context only', () => {
    setup({ types: { context: {} as { n: number }, events: {} as { type: 'get' } | { type: 'peek' } } }).createMachine({
      context: { n: 0 },
      on: {
        peek: { actions: reply(({ context }) => context) },
        // @ts-expect-error 'get' declares no reply, so a call would be typed as the context
        get: { actions: reply(({ context }) => context.n) }
      }
    })
  })

  it('events whose type is not a literal can be answered with anything', () => {
    setup({ types: { context: {} as { n: number }, events: {} as EventObject } }).createMachine({
      context: { n: 0 },
      on: { get: { actions: reply(({ context }) => context.n) } }
    })
  })
})

describe('calls by name', () => {
  it('a name listed in Register is typed as its logic', () => {
    expectTypeOf(call('typed-account', { type: 'balance' })).toEqualTypeOf<Promise<number>>()
    expectTypeOf(call('typed-doubler', { type: 'name' })).toEqualTypeOf<Promise<string>>()
    expectTypeOf(callAll('typed-doubler', [{ type: 'double' }])).toEqualTypeOf<Promise<number>>()
    // @ts-expect-error an event the registered logic does not accept
    void call('typed-account', { type: 'withdraw' })
    // @ts-expect-error a payload of the wrong type
    cast('typed-account', { type: 'deposit', amount: '10' })
    // @ts-expect-error a payload of the wrong type
    send('typed-account', { type: 'deposit', amount: '10' })
    expectTypeOf(whereis('typed-account')).toEqualTypeOf<Branch<typeof account> | undefined>()
  })

  it('a name not listed takes any event and replies unknown', () => {
    expectTypeOf(call('somebody', { type: 'get', anything: 1 })).toEqualTypeOf<Promise<unknown>>()
    const name: string = 'typed-account'
    expectTypeOf(call(name, { type: 'whatever' })).toEqualTypeOf<Promise<unknown>>()
    expectTypeOf(send('somebody', { type: 'ping', n: 1 })).toEqualTypeOf<{ readonly type: 'ping'; readonly n: 1 }>()
  })
})
