import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assign, fromTransition, setup } from 'xstate'
import * as keepsake from '../../src/index'
import { KeepsakeError, Supervisor, type AnyBranch } from '../../src/index'
import { NodeLikeClock } from '../support/ManualClock'

// Every public function fed arbitrary values: it never crashes the process,
// never corrupts a live branch, and fails only with the library's own errors.

const MARK = 'canary-inc-7f3a'
const canaryLogic = fromTransition((n: number, e: { type: string }) => (e.type === MARK ? n + 1 : n), 0)
let canary: AnyBranch
let supervisor: Supervisor
const started: { stop(): Promise<void> }[] = []

beforeAll(async () => {
  canary = await keepsake.startBranch({ logic: canaryLogic, name: 'canary' })
  supervisor = await keepsake.startSupervisor({ id: 'fuzz-sup' })
})
afterAll(async () => {
  await Promise.all([...started, canary, supervisor].map((s) => s.stop()))
})

const cyclic: Record<string, unknown> = { type: 'cyclic' }
cyclic.self = cyclic
const getterBomb = Object.defineProperties({}, {
  type: { enumerable: true, get: () => { throw new Error('type getter') } },
  logic: { enumerable: true, get: () => { throw new Error('logic getter') } },
  timeout: { enumerable: true, get: () => { throw new Error('timeout getter') } }
})
const proxyBomb = new Proxy({}, {
  // fast-check may print it, reading symbols: those reads answer.
  get: (_, key) => {
    if (key === fc.toStringMethod) return () => 'proxyBomb'
    if (typeof key === 'symbol') return undefined
    throw new Error('proxy get')
  },
  // `has` answers: fast-check itself asks it of every generated value.
  has: () => false,
  ownKeys: () => { throw new Error('proxy ownKeys') },
  getOwnPropertyDescriptor: () => { throw new Error('proxy descriptor') },
  getPrototypeOf: () => { throw new Error('proxy prototype') }
})
const huge = 'x'.repeat(1_000_000)

// Issue 15: values a hostile caller sends, each in every position (event fields, callAll lists,
// dedupe keys, grouper). fast-check prints and inspects what it generates, which these values
// would break (a 100,000-level print, a trap that throws), so it generates a Recipe, named, and
// `probe` makes the value from it at the last moment.
const recipes = new Set<unknown>() // `instanceof` would ask a Proxy's getPrototypeOf trap; Set#has asks nothing
class Recipe {
  constructor(
    readonly name: string,
    readonly make: () => unknown,
    /** How many events it sends, when it is an event or a list that gets through. */
    readonly events = 1
  ) {
    recipes.add(this)
  }
  [fc.toStringMethod](): string {
    return this.name
  }
}
const deepArray = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown
const deepObject = JSON.parse('{"a":'.repeat(8_000) + '1' + '}'.repeat(8_000)) as unknown
const throwingGetter = () => Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('hostile getter') } })
const trap = (name: keyof ProxyHandler<object>, target: object = {}) => new Proxy(target, { [name]: () => { throw new Error(`hostile ${name}`) } })
const HOSTILE_FIELDS: Record<string, () => unknown> = {
  'JSON 100,000 levels deep': () => deepArray,
  'JSON 8,000 levels deep': () => deepObject,
  'a throwing getter': throwingGetter,
  'a Proxy whose ownKeys throws': () => trap('ownKeys'),
  'a Proxy whose getPrototypeOf throws': () => trap('getPrototypeOf'),
  'a Proxy whose get throws, in an array': () => [1, trap('get')],
  'a revoked Proxy': () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy },
  'a cycle': () => cyclic,
  'a BigInt': () => 10n
}
/** Events of `type` with a hostile field, or that are themselves hostile. */
const hostileEvents = (type: string): Recipe[] => [
  ...Object.entries(HOSTILE_FIELDS).map(([name, make]) => new Recipe(`{ type, v: ${name} }`, () => ({ type, v: make() }))),
  new Recipe('an event whose v getter throws', () => Object.defineProperty({ type }, 'v', { enumerable: true, get: () => { throw new Error('hostile getter') } })),
  new Recipe('an event Proxy whose ownKeys throws', () => trap('ownKeys', { type })),
  new Recipe('an event Proxy whose getPrototypeOf throws', () => trap('getPrototypeOf', { type }))
]
/** callAll lists a hostile caller sends: Proxies, throwing getters for items, revoked, or a hostile event among good ones. */
const hostileLists = (type: string): Recipe[] => [
  new Recipe('a list Proxy whose get throws', () => new Proxy([{ type }], { get: (_, key) => { if (key === 'length') return 1; throw new Error('hostile list get') } })),
  new Recipe('a list whose item getter throws', () => Object.defineProperty([], 0, { enumerable: true, get: () => { throw new Error('hostile item getter') } })),
  new Recipe('a revoked list Proxy', () => { const { proxy, revoke } = Proxy.revocable([], {}); revoke(); return proxy }),
  ...hostileEvents(type).map((event) => new Recipe(`[ok, ${event.name}, ok]`, () => [{ type }, event.make(), { type }], 3))
]
const made = (value: unknown) => (recipes.has(value) ? (value as Recipe).make() : value)

const hostile = fc.oneof(
  { weight: 6, arbitrary: fc.anything() },
  { weight: 1, arbitrary: fc.nat(9).map((i) => [cyclic, getterBomb, proxyBomb, huge, NaN, -1, Infinity, Symbol('s'), 10n, () => 0][i]) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('canary', { type: 'whatever' }, { type: '' }, { timeout: -5 }, { delay: 'soon' }) },
  { weight: 1, arbitrary: fc.constant(null).map(() => canary as unknown) },
  { weight: 1, arbitrary: fc.constant(null).map(() => supervisor as unknown) },
  { weight: 1, arbitrary: fc.constant<unknown>(canaryLogic) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(...hostileEvents('whatever')) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(...hostileLists('whatever')) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(...Object.entries(HOSTILE_FIELDS).map(([name, make]) => new Recipe(name, make))) }
)

/** Calls `f`, awaiting what it returns; whatever goes wrong must be a KeepsakeError. */
async function probe(f: (...args: never[]) => unknown, args: unknown[]): Promise<void> {
  try {
    const result = (f as (...a: unknown[]) => unknown)(...args.map(made))
    if (result instanceof Promise) {
      const settled = await result
      if (settled instanceof Supervisor || settled instanceof keepsake.Branch) started.push(settled)
    }
  } catch (error) {
    if (!(error instanceof KeepsakeError)) throw new Error(`non-library error from ${f.name}: ${String(error)}`)
  }
}

const api = keepsake as unknown as Record<string, (...args: unknown[]) => unknown>
const freeFunctions = [
  'startBranch', 'call', 'callAll', 'cast', 'send', 'whereis', 'reply', 'respond', 'deferReply', 'replyTo', 'table',
  'startSupervisor', 'startDynamicSupervisor', 'branchSpec', 'supervisorSpec', 'transfer'
]
// Methods that can't end the object they are called on (stop() is fuzzed on throwaway branches).
const branchMethods = ['call', 'callAll', 'cast', 'send', 'kill', 'on', 'once', 'off', 'state', 'worker', 'children']
const supervisorMethods = ['startChild', 'terminateChild', 'restartChild', 'deleteChild', 'whichChildren', 'countChildren', 'tree', 'on', 'off']

// Nothing may escape to the event loop: xstate rethrows an error raised in its observers from a timer.
const uncaught: unknown[] = []
const onUncaught = (error: unknown) => uncaught.push(error)
beforeAll(() => void process.on('uncaughtException', onUncaught))
afterAll(() => void process.off('uncaughtException', onUncaught))

describe('fuzzed public API', () => {
  it.each(freeFunctions)('%s', async (name) => {
    const f = api[name] as (...args: unknown[]) => unknown
    await fc.assert(fc.asyncProperty(fc.array(hostile, { maxLength: 4 }), (args) => probe(f, args)), { numRuns: 200, seed: 42 })
  })

  it.each(branchMethods)('branch.%s', async (name) => {
    const method = (canary as unknown as Record<string, (...a: unknown[]) => unknown>)[name] as (...a: unknown[]) => unknown
    await fc.assert(fc.asyncProperty(fc.array(hostile, { maxLength: 3 }), (args) => probe(method.bind(canary), args)), { numRuns: 200, seed: 43 })
  })

  it.each(supervisorMethods)('supervisor.%s', async (name) => {
    const method = (supervisor as unknown as Record<string, (...a: unknown[]) => unknown>)[name] as (...a: unknown[]) => unknown
    await fc.assert(fc.asyncProperty(fc.array(hostile, { maxLength: 3 }), (args) => probe(method.bind(supervisor), args)), { numRuns: 200, seed: 44 })
  })

  it('stop() with any argument, on throwaway branches and supervisors', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (arg) => {
        const branch = await keepsake.startBranch({ logic: canaryLogic })
        const sup = await keepsake.startSupervisor({})
        await probe(branch.stop.bind(branch), [arg])
        await probe(sup.stop.bind(sup), [arg])
        await Promise.all([branch.stop(), sup.stop()])
      }),
      { numRuns: 100, seed: 45 }
    )
  })

  it('issue 15 item 1: branches that keep their events (memory, snapshot, journal; with and without a grouper that throws) fed hostile values by call, cast, callAll and dedupe fail each with a library error and keep answering', async () => {
    type Kept = { readonly last?: unknown; readonly n: number }
    const keeping = fromTransition((s: Kept, e: { type: string }): Kept => (e.type === 'keep' ? { last: e, n: s.n + 1 } : s), { n: 0 })
    const intensity = { maxRestarts: 1_000_000, maxSeconds: 1 }
    const store = new keepsake.MemoryStore()
    const grouper = (e: { type: string; v?: unknown }) => (e.v === undefined ? undefined : String((e.v as { x?: unknown }).x))
    const branches = await Promise.all([
      keepsake.startBranch({ logic: keeping, intensity }),
      keepsake.startBranch({ logic: keeping, intensity, durable: { store, id: 'fuzz-snapshot', mode: 'snapshot' } }),
      keepsake.startBranch({ logic: keeping, intensity, durable: { store, id: 'fuzz-journal', mode: 'journal' } }),
      keepsake.startBranch({ logic: keeping, intensity, grouper })
    ])
    started.push(...branches)
    const operation = fc.oneof(
      fc.constantFrom(...hostileEvents('keep')).map((event) => ['call', event] as const),
      fc.constantFrom(...hostileEvents('keep')).map((event) => ['cast', event] as const),
      fc.constantFrom(...hostileEvents('keep')).map((event) => ['dedupe', event] as const),
      fc.constantFrom(...hostileLists('keep')).map((list) => ['callAll', list] as const)
    )
    await fc.assert(
      fc.asyncProperty(fc.nat(branches.length - 1), operation, async (which, [kind, value]) => {
        const branch = branches[which] as AnyBranch
        const before = ((await branch.call({ type: 'get' })) as Kept).n
        const send = branch as unknown as Record<'call' | 'cast' | 'callAll', (...a: unknown[]) => unknown>
        if (kind === 'call') await probe(send.call.bind(branch), [value])
        else if (kind === 'cast') await probe(send.cast.bind(branch), [value])
        else if (kind === 'dedupe') await probe(send.call.bind(branch), [value, { dedupe: true }])
        else await probe(send.callAll.bind(branch), [value])
        // It keeps answering, from its last good state or with what it kept.
        const after = ((await branch.call({ type: 'get' }, { timeout: 10_000 })) as Kept).n
        expect([0, value.events], value.name).toContain(after - before) // all of it or none
        expect(branch.status).toBe('running')
      }),
      { numRuns: 150, seed: 46 }
    )
  })

  it('left the canary branch running, with its state intact', async () => {
    const before = canary.state() as number
    keepsake.cast(canary, { type: MARK })
    expect(canary.status).toBe('running')
    expect(await keepsake.call('canary', { type: 'get' })).toBe(before + 1)
    expect(supervisor.status).toBe('running')
    await new Promise((resolve) => setTimeout(resolve, 0)) // what xstate rethrows, it rethrows from a timer
    expect(uncaught).toEqual([])
  })
})

// Durations at and past Node's timer limit (2^31-1 ms), on a clock whose
// timers overflow as Node's do: none fires early, none reaches the clock
// unchained, and those short enough to wait out here fire when due.

const MAX_TIMER = 2 ** 31 - 1
const longDuration = fc.oneof(
  fc.constantFrom(MAX_TIMER - 1, MAX_TIMER, MAX_TIMER + 1, 2 ** 32, 30 * 86_400_000, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, Infinity),
  fc.integer({ min: MAX_TIMER - 5, max: 10 * MAX_TIMER }),
  fc.double({ min: MAX_TIMER, max: 1e300, noNaN: true })
)

/** Defers `wait`, counts `inc`. */
const patientLogic = setup({
  types: { context: {} as { n: number; token: keepsake.ReplyToken | null }, events: {} as { type: 'wait' } | { type: 'inc' } }
}).createMachine({
  context: { n: 0, token: null },
  on: {
    wait: { actions: assign({ token: () => keepsake.deferReply() }) },
    inc: { actions: assign({ n: ({ context }) => context.n + 1 }) }
  }
})

describe('fuzzed durations at and past 2^31-1 ms (seed 46)', () => {
  it('a call timeout, cast delay and idleTimeout wait their whole length, on a clock with Node-like timers', async () => {
    await fc.assert(
      fc.asyncProperty(longDuration, async (ms) => {
        const clock = new NodeLikeClock()
        const branch = await keepsake.startBranch({ logic: patientLogic, clock, idleTimeout: ms })
        try {
          let outcome: unknown = 'pending'
          keepsake.call(branch, { type: 'wait' }, { timeout: ms }).then((v) => (outcome = v), (e: unknown) => (outcome = e))
          // A cast delay is finite (a cast delayed forever is not a cast): Infinity is refused.
          if (ms === Infinity) expect(() => branch.cast({ type: 'inc' }, { delay: ms })).toThrow(keepsake.InvalidOptionError)
          else branch.cast({ type: 'inc' }, { delay: ms })
          // Up to just before it is due (at most three links of a chain).
          clock.advance(Math.min(ms, 3 * MAX_TIMER) - 1)
          await new Promise<void>((resolve) => setImmediate(resolve))
          expect(outcome).toBe('pending')
          expect((branch.state() as { n: number }).n).toBe(0)
          expect(branch.status).toBe('running')
          if (ms <= 3 * MAX_TIMER) {
            clock.advance(1)
            await new Promise<void>((resolve) => setImmediate(resolve))
            expect(outcome).toBeInstanceOf(keepsake.CallTimeoutError)
            expect((branch.state() as { n: number }).n).toBe(1)
          }
          expect(clock.overflows).toBe(0)
        } finally {
          await branch.stop({ timeout: 0 })
        }
      }),
      { numRuns: 60, seed: 46 }
    )
  })
})
