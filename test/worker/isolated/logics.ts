// Logic modules for the isolated-worker tests: these run inside worker threads
// and child processes, named by module ({ module: './logics.ts', export }).
import { spawn } from 'node:child_process'
import { writeSync } from 'node:fs'
import { threadId } from 'node:worker_threads'
import { assign, fromPromise, fromTransition, setup } from 'xstate'
import { deferReply, reply, replyTo, respond, table, type Replies, type ReplyToken } from '../../../src/index'

export { counterMachine, counterReducer } from '../../support/logics'

type DeviceEvent =
  | { type: 'read'; value: number }
  | { type: 'get' }
  | { type: 'hang' }
  | { type: 'bloat' }
  | { type: 'abort' }
  | { type: 'abortLeavingStderr' }
  | { type: 'throw' }
  | { type: 'where' }
  | { type: 'garble'; bytes: readonly number[] }

/** A child process's channel to its parent (a thread has none: it never gets `garble`). */
const CHANNEL_FD = 3

/**
 * A device driver's state: readings; `hang` loops forever, `bloat` allocates without bound, `abort` takes the process down,
 * `throw` crashes, `garble` writes bytes to the process's channel to its parent, as a buggy native addon might;
 * `abortLeavingStderr` aborts with a helper process (as tsx's esbuild is) holding its stderr open for 6 s.
 */
export const device = fromTransition((readings: readonly number[], event: DeviceEvent) => {
  switch (event.type) {
    case 'read':
      return [...readings, event.value]
    case 'hang':
      for (;;) {
        // a stuck synchronous driver call
      }
    case 'bloat': {
      const hoard: number[][] = []
      for (;;) hoard.push(new Array(100_000).fill(readings.length))
    }
    case 'abort':
      process.abort()
    case 'abortLeavingStderr':
      spawn(process.execPath, ['-e', 'setTimeout(() => {}, 6000)'], { stdio: ['ignore', 'ignore', 'inherit'] })
      process.abort()
    case 'throw':
      throw new Error('driver error')
    case 'where':
      respond({ pid: process.pid, threadId })
      return readings
    case 'garble':
      writeSync(CHANNEL_FD, Buffer.from(event.bytes))
      return readings
    default:
      return readings
  }
}, [] as readonly number[])

/** Answers `fetch` later, from an invoked promise, through deferReply/replyTo. */
export const fetcher = setup({
  types: { context: {} as { pending: ReplyToken | null; fetched: number }, events: {} as { type: 'fetch'; value: string } },
  actors: { load: fromPromise(async ({ input }: { input: string }) => `loaded ${input}`) }
}).createMachine({
  context: { pending: null, fetched: 0 },
  initial: 'idle',
  states: {
    idle: { on: { fetch: { target: 'loading', actions: assign({ pending: () => deferReply() }) } } },
    loading: {
      invoke: {
        src: 'load',
        input: ({ event }) => (event as { value: string }).value,
        onDone: {
          target: 'idle',
          actions: [({ context, event }) => replyTo(context.pending, event.output), assign({ pending: null, fetched: ({ context }) => context.fetched + 1 })]
        }
      }
    }
  }
})

/** Loads, by an invoked promise, a result that holds a function (which no thread boundary copies), and keeps only its number. */
export const opener = setup({
  types: { context: {} as { opened: number }, events: {} as { type: 'open' } },
  actors: { open: fromPromise(async () => ({ size: 2, close: () => undefined })) }
}).createMachine({
  context: { opened: 0 },
  initial: 'idle',
  states: {
    idle: { on: { open: 'opening' } },
    opening: {
      invoke: { src: 'open', onDone: { target: 'idle', actions: assign({ opened: ({ context, event }) => context.opened + event.output.size }) } }
    }
  }
})

/** Counts unique ids in a table, which outlives crashes; `crash` throws, `abort` takes the process down. */
export const seen = fromTransition((unique: number, event: { type: 'see'; id: string } | { type: 'crash' } | { type: 'abort' } | { type: 'count' }, { self }) => {
  if (event.type === 'crash') throw new Error('crash after a table write')
  if (event.type === 'abort') process.abort()
  if (event.type !== 'see') return unique
  const ids = table<string, true>(self, 'seen')
  if (ids.has(event.id)) return unique
  ids.set(event.id, true)
  return unique + 1
}, 0)

/** `keep` puts a function into the state, which can't cross back. */
export const leaky = fromTransition(
  (state: { n: number; fn?: () => void }, event: { type: 'inc' } | { type: 'keep' } | { type: 'get' }) =>
    event.type === 'keep' ? { ...state, fn: () => {} } : event.type === 'inc' ? { n: state.n + 1 } : state,
  { n: 0 } as { n: number; fn?: () => void }
)

/** Defers every `ask` and never answers it; `noop` is answered with the state. */
export const silent = fromTransition((asked: number, event: { type: 'ask' } | { type: 'noop' }) => {
  if (event.type === 'ask') deferReply()
  return event.type === 'ask' ? asked + 1 : asked
}, 0)

export const notLogic = { hello: 'world' }

/** Counts `inc`s and reaches a final state on `finish`, with the count as output; `tick` after 50 ms in `timing`. */
export const finisher = setup({
  types: { context: {} as { count: number }, events: {} as { type: 'inc' } | { type: 'finish' } | { type: 'time' } | { type: 'get' } }
}).createMachine({
  context: { count: 0 },
  initial: 'counting',
  states: {
    counting: {
      on: {
        inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
        time: 'timing',
        finish: 'finished'
      }
    },
    timing: { after: { 50: { target: 'counting', actions: assign({ count: ({ context }) => context.count + 100 }) } } },
    finished: { type: 'final' }
  },
  output: ({ context }) => context.count
})

/** Side effects run in this thread or process: a replay must run none. */
export const effects = { count: 0 }

type MeterEvent = { type: 'read'; value: number } | { type: 'get' } | { type: 'hang' } | { type: 'abort' } | { type: 'effects' }

/** A flaky meter: `read` keeps a reading and runs a side effect (an action); `hang` loops, `abort` takes the process down; `effects` answers the count here. */
export const meter = setup({
  types: { context: {} as { readings: readonly number[] }, events: {} as MeterEvent },
  actions: { effect: () => void effects.count++ }
}).createMachine({
  context: { readings: [] },
  on: {
    read: { actions: [assign({ readings: ({ context, event }) => [...context.readings, event.value] }), 'effect'] },
    hang: {
      actions: () => {
        for (;;) {
          // a stuck synchronous driver call
        }
      }
    },
    abort: { actions: () => process.abort() },
    effects: { actions: () => respond(effects.count) }
  }
})

/** Keeps a random number with each reading: a replay can't reach the same state (verifyReplay reports it). */
export const noisy = fromTransition(
  (readings: readonly (readonly [number, number])[], event: { type: 'read'; value: number }) => [...readings, [event.value, Math.random()] as const],
  [] as readonly (readonly [number, number])[]
)

/**
 * Defers each `ask` and answers it from a microtask, outside any transition
 * (as a callback would), then notes the answer in its table `answered` (which
 * reaches an isolated worker's parent after the answer); `count` is answered
 * with `reply`, `bump` with `respond`.
 */
export const lateAnswerer = setup({
  types: { context: {} as { asks: number }, events: {} as { type: 'ask' } | ({ type: 'count' } & Replies<number>) | { type: 'bump' } }
}).createMachine({
  context: { asks: 0 },
  on: {
    ask: {
      actions: [
        assign({ asks: ({ context }) => context.asks + 1 }),
        ({ context, self }) => {
          const token = deferReply()
          const asks = context.asks // the assign before this action ran already
          queueMicrotask(() => {
            replyTo(token, `answer ${asks}`)
            table(self, 'answered').set('asks', asks)
          })
        }
      ]
    },
    count: { actions: reply(({ context }) => context.asks) },
    bump: {
      actions: [
        assign({ asks: ({ context }) => context.asks + 1 }),
        () => void respond('bumped')
      ]
    }
  }
})

/** A catalog's state: ~1 MB of items, a counter and nested metadata. */
export interface Catalog {
  readonly n: number
  readonly items: readonly { readonly id: number; readonly tags: readonly string[]; readonly note: string }[]
  readonly meta: Readonly<Record<string, { readonly since: number }>>
}

export type CatalogEvent =
  | { type: 'bump' }
  | { type: 'tag'; index: number; tag: string }
  | { type: 'forget'; key: string }
  | { type: 'trim'; length: number }
  | { type: 'note'; key: string; since: number }
  | { type: 'throw' }
  | { type: 'get' }

/** What each catalog event does (the tests apply it here too, to know the state the parent must hold). */
export function catalogStep(state: Catalog, event: CatalogEvent): Catalog {
  switch (event.type) {
    case 'bump':
      return { ...state, n: state.n + 1 }
    case 'tag':
      return { ...state, items: state.items.map((item, i) => (i === event.index ? { ...item, tags: [...item.tags, event.tag] } : item)) }
    case 'forget': {
      const { [event.key]: _forgotten, ...meta } = state.meta
      return { ...state, meta }
    }
    case 'trim':
      return { ...state, items: state.items.slice(0, event.length) }
    case 'note':
      return { ...state, meta: { ...state.meta, [event.key]: { since: event.since } } }
    default:
      return state
  }
}

/** A catalog of `size` items of ~200 bytes (5,000: ~1 MB). */
export function newCatalog(size: number): Catalog {
  return { n: 0, items: Array.from({ length: size }, (_, id) => ({ id, tags: ['new'], note: 'x'.repeat(160) })), meta: { a: { since: 1 }, b: { since: 2 } } }
}

/** A machine holding a catalog: `get` replies with its count, `throw` crashes. */
export const catalog = setup({ types: { context: {} as Catalog, events: {} as CatalogEvent } }).createMachine({
  context: newCatalog(5000),
  on: {
    '*': {
      actions: [
        assign(({ context, event }) => {
          if (event.type === 'throw') throw new Error('catalog crashed')
          return catalogStep(context, event)
        }),
        ({ context, event }) => void (event.type === 'get' && respond(context.n))
      ]
    }
  }
})

type Chain = { readonly leaf: number } | { readonly next: Chain }

function chain(depth: number, leaf: number): Chain {
  let node: Chain = { leaf }
  for (let i = 0; i < depth; i++) node = { next: node }
  return node
}

/** `grow` keeps a chain `depth` objects deep; `touch` rebuilds it with another leaf (a change at the bottom of the whole path). */
export const nester = fromTransition(
  (state: { n: number; tree?: Chain }, event: { type: 'grow'; depth: number } | { type: 'touch'; depth: number } | { type: 'get' }) => {
    if (event.type === 'grow') return { n: state.n + 1, tree: chain(event.depth, 0) }
    if (event.type === 'touch') return { n: state.n + 1, tree: chain(event.depth, state.n) }
    respond(state.n)
    return state
  },
  { n: 0 } as { n: number; tree?: Chain }
)

/**
 * Defers `ask` twice in one message and keeps both tokens; `answer` replies through the second;
 * `count` is answered with how many deferred tokens this side of the border holds; `answerThenDefer`
 * answers its call, then defers it (a token nothing would release).
 */
export const deferTwice = fromTransition(
  (tokens: readonly ReplyToken[], event: { type: 'ask' } | { type: 'answer' } | { type: 'count' } | { type: 'answerThenDefer' }) => {
    if (event.type === 'ask') return [deferReply(), deferReply()]
    if (event.type === 'answerThenDefer') {
      respond('now')
      deferReply()
    }
    if (event.type === 'answer') replyTo(tokens[1], tokens[0] === tokens[1] ? 'one token' : 'two tokens')
    if (event.type === 'count') {
      const replies = (globalThis as unknown as Record<symbol, { deferred: Map<string, unknown> }>)[Symbol.for('keepsake.replies.v1')]
      respond(replies?.deferred.size ?? -1)
    }
    return tokens
  },
  [] as readonly ReplyToken[]
)

/**
 * `ask` defers its answer and, from a microtask (outside any message), calls `respond` and `deferReply`,
 * noting in its table `outside` what each gave (a call is answered only through its token: neither
 * may reach the call whose message was delivered last); `answer` replies through the token.
 */
export const outsideAnswerer = setup({
  types: { context: {} as { token?: ReplyToken }, events: {} as { type: 'ask' } | { type: 'answer' } }
}).createMachine({
  context: {},
  on: {
    ask: {
      actions: assign(({ self }) => {
        const token = deferReply()
        queueMicrotask(() => {
          const outside = table(self, 'outside')
          outside.set('respond', respond('from outside'))
          outside.set('same token', deferReply() === token)
        })
        return { token }
      })
    },
    answer: { actions: ({ context }) => void (context.token && replyTo(context.token, 'by token')) }
  }
})

/** Counts the calls it answers: `get` sets one field of a context that holds more and replies, in one transition (a call's common end). */
export const tally = setup({
  types: { context: {} as { calls: number; kept: { readonly note: string } }, events: {} as { type: 'get' } }
}).createMachine({
  context: { calls: 0, kept: { note: 'untouched' } },
  on: { get: { actions: [assign({ calls: ({ context }) => context.calls + 1 }), ({ context }) => respond({ calls: context.calls })] } }
})

/** Keeps the byte arrays it is sent and answers them as lists of numbers on `bytes` (a typed array deserialized here is a view of the bytes it was read from). */
export const byteKeeper = fromTransition(
  (kept: readonly Uint8Array[], event: { type: 'keep'; bytes: Uint8Array } | { type: 'bytes' }) => {
    if (event.type === 'keep') return [...kept, event.bytes]
    respond(kept.map((bytes) => [...bytes]))
    return kept
  },
  [] as readonly Uint8Array[]
)
