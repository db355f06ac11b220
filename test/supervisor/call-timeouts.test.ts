import { createHook } from 'node:async_hooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fromTransition } from 'xstate'
import { call, CallTimeoutError, deferReply, replyTo, startBranch, systemClock, type AnyBranch, type ReplyToken } from '../../src/index'
import { stoppedAfterEach } from '../support/cleanup'

// Calls that wait on the system clock share Node timers: those of one duration
// armed within a millisecond of each other wait on one timer (src/supervisor/
// callTimeouts.ts). What must hold: each still expires on its own time, never
// before its timeout passed; waiting calls keep the process alive and answered
// ones do not; and a test that fakes Node's timers (but not the clock's time)
// still sees every call expire at its own fake time.

const started = stoppedAfterEach<AnyBranch>()

const tokens: ReplyToken[] = []
/** Defers every `hold`, keeping its token in `tokens`. */
const holder = fromTransition((n: number, e: { type: 'hold' }) => {
  if (e.type === 'hold') tokens.push(deferReply())
  return n
}, 0)

async function open(options: Omit<Parameters<typeof startBranch>[0], 'logic'> = {}): Promise<AnyBranch> {
  tokens.length = 0
  const branch = await startBranch({ logic: holder, ...options })
  started.push(branch)
  return branch
}

/**
 * The Node timers made while `arm` runs (synchronously), so that what a test
 * counts is its calls' own, not the test runner's, which come and go.
 */
function timersOf<T>(arm: () => T): { result: T; held: () => number } {
  const made: NodeJS.Timeout[] = []
  const hook = createHook({ init: (_id, type, _trigger, resource) => void (type === 'Timeout' && made.push(resource as NodeJS.Timeout)) }).enable()
  try {
    // Pending and ref'd: what keeps the process alive. `hasRef()` stays true once a timer fired or was
    // cleared; Node marks those `_destroyed` (internal, but what its own timer list goes by).
    const pending = (timer: NodeJS.Timeout) => (timer as NodeJS.Timeout & { _destroyed?: boolean })._destroyed !== true
    return { result: arm(), held: () => made.filter((timer) => pending(timer) && timer.hasRef()).length }
  } finally {
    hook.disable()
  }
}

/** Lets promise callbacks and deliveries run. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A call's outcome and when it came (performance.now()), without awaiting it. */
function timed(promise: Promise<unknown>): { readonly armed: number; outcome: unknown; at: number; settled: Promise<void> } {
  const watched = { armed: performance.now(), outcome: 'pending' as unknown, at: NaN, settled: Promise.resolve() }
  watched.settled = promise.then(
    (value) => void Object.assign(watched, { outcome: { value }, at: performance.now() }),
    (error: unknown) => void Object.assign(watched, { outcome: error, at: performance.now() })
  )
  return watched
}

afterEach(() => {
  vi.useRealTimers()
})

describe('call timeouts on the system clock', () => {
  it('1,000 calls waiting hold a timer per millisecond it took to arm them, not 1,000; answered, they hold none', async () => {
    const branch = await open()
    const start = performance.now()
    const { result: calls, held } = timersOf(() => Array.from({ length: 1000 }, () => call(branch, { type: 'hold' }, { timeout: 60_000 })))
    const took = performance.now() - start
    await turn()
    expect(tokens).toHaveLength(1000)
    expect(held()).toBeGreaterThanOrEqual(1)
    expect(held()).toBeLessThanOrEqual(Math.ceil(took) + 1)
    expect(held()).toBeLessThan(1000)
    tokens.forEach((token, i) => replyTo(token, i))
    await expect(Promise.all(calls)).resolves.toEqual(Array.from({ length: 1000 }, (_, i) => i))
    expect(held()).toBe(0)
  })

  it('calls armed apart expire each on its own time, none before its timeout passed', async () => {
    const branch = await open()
    const first = timed(call(branch, { type: 'hold' }, { timeout: 50 }))
    // Spin (no sleep): the second call is armed 20 ms of real time later.
    while (performance.now() - first.armed < 20);
    const second = timed(call(branch, { type: 'hold' }, { timeout: 50 }))
    await Promise.all([first.settled, second.settled])
    for (const watched of [first, second]) {
      expect(watched.outcome).toBeInstanceOf(CallTimeoutError)
      expect((watched.outcome as CallTimeoutError).message).toContain('50 ms')
      // Node keeps timer time in whole milliseconds: a timer of its own may come up to 1 ms early by performance.now().
      expect(watched.at - watched.armed).toBeGreaterThan(49)
    }
    expect(second.at).toBeGreaterThan(first.at)
  })

  it('in a shared timer, the calls answered resolve and the rest expire', async () => {
    const branch = await open()
    const { result: calls, held } = timersOf(() => Array.from({ length: 10 }, () => timed(call(branch, { type: 'hold' }, { timeout: 30 }))))
    await turn()
    tokens.forEach((token, i) => i % 2 === 0 && replyTo(token, i))
    await Promise.all(calls.map((c) => c.settled))
    calls.forEach((c, i) => {
      if (i % 2 === 0) expect(c.outcome).toEqual({ value: i })
      else expect(c.outcome).toBeInstanceOf(CallTimeoutError)
    })
    expect(held()).toBe(0)
  })

  it('under fake setTimeout with the real clock time, calls armed at different fake times expire at their own', async () => {
    const branch = await open()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const first = timed(call(branch, { type: 'hold' }, { timeout: 1000 }))
    await turn()
    vi.advanceTimersByTime(500)
    const second = timed(call(branch, { type: 'hold' }, { timeout: 1000 }))
    await turn()
    vi.advanceTimersByTime(500)
    await turn()
    expect(first.outcome).toBeInstanceOf(CallTimeoutError)
    expect(second.outcome).toBe('pending')
    vi.advanceTimersByTime(499)
    await turn()
    expect(second.outcome).toBe('pending')
    vi.advanceTimersByTime(1)
    await turn()
    expect(second.outcome).toBeInstanceOf(CallTimeoutError)
  })

  it('a faked performance.now() (frozen) does not make calls armed apart share a timer', async () => {
    const branch = await open()
    vi.useFakeTimers({ toFake: ['performance'] })
    const frozen = performance.now()
    const realMs = () => Number(process.hrtime.bigint()) / 1e6
    const firstArmed = realMs()
    const first = call(branch, { type: 'hold' }, { timeout: 50 }).catch((error: unknown) => ({ error, at: realMs() }))
    while (realMs() - firstArmed < 20);
    const secondArmed = realMs()
    const second = call(branch, { type: 'hold' }, { timeout: 50 }).catch((error: unknown) => ({ error, at: realMs() }))
    expect(performance.now()).toBe(frozen)
    for (const [outcome, armed] of [[await first, firstArmed], [await second, secondArmed]] as const) {
      expect((outcome as { error: unknown }).error).toBeInstanceOf(CallTimeoutError)
      expect((outcome as { at: number }).at - armed).toBeGreaterThan(49)
    }
  })

  it('a branch given `systemClock` explicitly shares them too', async () => {
    const branch = await open({ clock: systemClock })
    const start = performance.now()
    const { result: calls, held } = timersOf(() => Array.from({ length: 100 }, () => call(branch, { type: 'hold' }, { timeout: 60_000 })))
    const took = performance.now() - start
    await turn()
    expect(held()).toBeGreaterThanOrEqual(1)
    expect(held()).toBeLessThanOrEqual(Math.ceil(took) + 1)
    tokens.splice(0).forEach((token) => replyTo(token, 'ok'))
    await Promise.all(calls)
    expect(held()).toBe(0)
  })
})
