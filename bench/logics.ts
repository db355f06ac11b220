import { assign, emit, fromTransition, setup, type ActorScope, type TransitionSnapshot } from 'xstate'
import { reply, respond, type Replies } from '../src/index'

// The logics every group measures. Each is built twice from one definition,
// differing only in how a request is answered, so keepsake and the bare actor
// always do the same work: keepsake answers through `reply`/`respond`, a bare
// actor emits an event its caller listens for.

export type CounterEvent = ({ type: 'get' } & Replies<number>) | { type: 'inc' } | { type: 'crash' }

/** What a bare actor emits to answer a request. */
export interface ReplyEvent {
  type: 'reply'
  value: number
}

/** `keepsake`: answer the branch's call; `emit`: emit a ReplyEvent for a bare actor's caller. */
export type Answering = 'keepsake' | 'emit'

/** One record of the ~1 MB state the restart benchmarks carry. */
export interface Item {
  readonly id: number
  readonly name: string
  readonly owner: string
  readonly tags: readonly string[]
  readonly score: number
  readonly active: boolean
}

export interface CounterContext {
  count: number
  calls: number
  items: readonly Item[]
}

const GET_ANSWER = {
  keepsake: reply<CounterContext, CounterEvent, undefined, CounterEvent>(({ context }) => context.count),
  emit: emit<CounterContext, CounterEvent, undefined, CounterEvent, ReplyEvent>(({ context }) => ({
    type: 'reply',
    value: context.count
  }))
} as const

function crash(): never {
  throw new Error('crash requested by the benchmark')
}

/**
 * A machine: `get` counts the call (one assign) and answers the count, `inc`
 * assigns, `crash` throws from an action. Input `items` is carried in the
 * context untouched (the restart benchmarks' big state).
 */
export function counterMachine(answering: Answering) {
  return setup({
    types: {
      context: {} as CounterContext,
      events: {} as CounterEvent,
      emitted: {} as ReplyEvent,
      input: {} as { items?: readonly Item[] } | undefined
    }
  }).createMachine({
    context: ({ input }) => ({ count: 0, calls: 0, items: input?.items ?? [] }),
    on: {
      get: { actions: [assign({ calls: ({ context }) => context.calls + 1 }), GET_ANSWER[answering]] },
      inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
      crash: { actions: crash }
    }
  })
}

type ReducerScope = ActorScope<TransitionSnapshot<number>, CounterEvent, never, ReplyEvent>

const REDUCER_ANSWER: Record<Answering, (value: number, scope: ReducerScope) => void> = {
  keepsake: (value) => {
    respond(value)
  },
  emit: (value, scope) => scope.emit({ type: 'reply', value })
}

/** The same counter as a `fromTransition` reducer over a number. */
export function counterReducer(answering: Answering) {
  const answer = REDUCER_ANSWER[answering]
  return fromTransition((count: number, event: CounterEvent, scope: ReducerScope) => {
    switch (event.type) {
      case 'inc':
        return count + 1
      case 'get':
        answer(count, scope)
        return count
      case 'crash':
        return crash()
    }
  }, 0)
}

/** ~1 MB of JSON: `count` records of about 100 bytes each. */
export function bigItems(count = 10_000): Item[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i,
    name: `item-${String(i).padStart(6, '0')}`,
    owner: `user-${i % 997}@example.com`,
    tags: ['alpha', 'beta', i % 3 === 0 ? 'gamma' : 'delta'],
    score: i * 1.5,
    active: i % 2 === 0
  }))
}

/** The parts of a started bare actor a request needs. */
export interface Requestable {
  send(event: CounterEvent): void
  on(type: 'reply', handler: (event: ReplyEvent) => void): unknown
}

/**
 * The floor's request/reply: send the event and await the emitted reply, the
 * way one would without keepsake. One request at a time, like `await call(...)`.
 */
export function requester(actor: Requestable): (event: CounterEvent) => Promise<number> {
  let settle: ((value: number) => void) | undefined
  actor.on('reply', (event) => {
    const done = settle
    settle = undefined
    done?.(event.value)
  })
  return (event) =>
    new Promise<number>((resolve) => {
      settle = resolve
      actor.send(event)
    })
}

/** The cluster pool both nodes of the cluster bench run (the same on every node, as pools must be). */
export const benchPools = { bench: { logic: counterMachine('keepsake') } }
