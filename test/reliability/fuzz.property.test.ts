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

const hostile = fc.oneof(
  { weight: 6, arbitrary: fc.anything() },
  { weight: 1, arbitrary: fc.nat(9).map((i) => [cyclic, getterBomb, proxyBomb, huge, NaN, -1, Infinity, Symbol('s'), 10n, () => 0][i]) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('canary', { type: 'whatever' }, { type: '' }, { timeout: -5 }, { delay: 'soon' }) },
  { weight: 1, arbitrary: fc.constant(null).map(() => canary as unknown) },
  { weight: 1, arbitrary: fc.constant(null).map(() => supervisor as unknown) },
  { weight: 1, arbitrary: fc.constant<unknown>(canaryLogic) }
)

/** Calls `f`, awaiting what it returns; whatever goes wrong must be a KeepsakeError. */
async function probe(f: (...args: never[]) => unknown, args: unknown[]): Promise<void> {
  try {
    const result = (f as (...a: unknown[]) => unknown)(...args)
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
  'startBranch', 'call', 'cast', 'send', 'whereis', 'reply', 'respond', 'deferReply', 'replyTo', 'table',
  'startSupervisor', 'startDynamicSupervisor', 'branchSpec', 'supervisorSpec', 'transfer'
]
// Methods that can't end the object they are called on (stop() is fuzzed on throwaway branches).
const branchMethods = ['call', 'cast', 'send', 'kill', 'on', 'once', 'off', 'state', 'worker', 'children']
const supervisorMethods = ['startChild', 'terminateChild', 'restartChild', 'deleteChild', 'whichChildren', 'countChildren', 'tree', 'on', 'off']

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

  it('left the canary branch running, with its state intact', async () => {
    const before = canary.state() as number
    keepsake.cast(canary, { type: MARK })
    expect(canary.status).toBe('running')
    expect(await keepsake.call('canary', { type: 'get' })).toBe(before + 1)
    expect(supervisor.status).toBe('running')
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
