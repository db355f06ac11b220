import { afterEach, describe, expect, it, vi } from 'vitest'
import { assign, setup } from 'xstate'
import {
  branchSpec,
  call,
  CallTimeoutError,
  deferReply,
  InvalidOptionError,
  replyTo,
  startBranch,
  startPool,
  startSupervisor,
  Supervisor,
  type AnyBranch,
  type Clock,
  type ReplyToken
} from '../../src/index'
import { MAX_TIMER_MS } from '../../src/shared/clock'
import { readNodeOptions } from '../../src/cluster/options'
import { startInspector } from '../../src/inspector'
import { counterReducer } from '../support/logics'
import { NodeLikeClock } from '../support/ManualClock'
import { logicModule } from '../worker/isolated/support'

// Node runs a timer of more than 2^31-1 ms (~24.8 days) after 1 ms. Every
// duration option must either hold for its whole range or be refused. The
// clocks here behave as Node's timers do (NodeLikeClock, or Node's own under
// fake timers), so an option that reached one unchained would fire at once.

const DAY = 86_400_000
const MONTH = 30 * DAY

// Stopped at once: a graceful stop would wait for deferred calls on a clock no one moves any more.
const started: { stop(options?: { timeout?: number }): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop({ timeout: 0 })))
})

/** A machine that defers the reply of `wait`, keeping the token. */
const waiter = setup({
  types: { context: {} as { token: ReplyToken | null }, events: {} as { type: 'wait' } | { type: 'get' } }
}).createMachine({
  context: { token: null },
  on: { wait: { actions: assign({ token: () => deferReply() }) } }
})

/** Waits out a month (`after`), then says so. */
const patient = setup({ types: { context: {} as { done: boolean } } }).createMachine({
  context: { done: false },
  initial: 'waiting',
  states: { waiting: { after: { [MONTH]: { target: 'done', actions: assign({ done: true }) } } }, done: {} }
})

/** Lets promise callbacks run. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Tracks a promise's outcome without awaiting it. */
function watch(promise: Promise<unknown>): { readonly outcome: unknown } {
  const watched = { outcome: 'pending' as unknown }
  promise.then(
    (value) => (watched.outcome = { value }),
    (error: unknown) => (watched.outcome = error)
  )
  return watched
}

async function open(options: Parameters<typeof startBranch>[0]): Promise<AnyBranch> {
  const branch = await startBranch(options)
  started.push(branch)
  return branch
}

function tokenOf(branch: AnyBranch): ReplyToken {
  return (branch.state() as { token: ReplyToken }).token
}

describe('durations past 2^31-1 ms wait their whole length (an injected clock with Node-like timers)', () => {
  it('a call with a 30-day timeout is still pending after 2^31-1 ms and times out at 30 days', async () => {
    const clock = new NodeLikeClock()
    const branch = await open({ logic: waiter, clock })
    const waiting = watch(call(branch, { type: 'wait' }, { timeout: MONTH }))
    clock.advance(1)
    clock.advance(MAX_TIMER_MS)
    clock.advance(MONTH - MAX_TIMER_MS - 2)
    await turn()
    expect(waiting.outcome).toBe('pending')
    clock.advance(1)
    await turn()
    expect(waiting.outcome).toBeInstanceOf(CallTimeoutError)
    expect(clock.overflows).toBe(0)
  })

  it('a cast with a 30-day delay is applied at 30 days, not before', async () => {
    const clock = new NodeLikeClock()
    const branch = await open({ logic: counterReducer, clock })
    branch.cast({ type: 'inc' }, { delay: MONTH })
    clock.advance(MAX_TIMER_MS + 1)
    clock.advance(MONTH - MAX_TIMER_MS - 2)
    expect(branch.state()).toBe(0)
    clock.advance(1)
    expect(branch.state()).toBe(1)
    expect(clock.overflows).toBe(0)
  })

  it('a 30-day idleTimeout passivates at 30 days, with no timer re-armed meanwhile', async () => {
    const clock = new NodeLikeClock()
    const branch = await open({ logic: counterReducer, clock, idleTimeout: MONTH })
    let passivated = false
    branch.on('passivate', () => (passivated = true))
    for (let ms = 0; ms < 1000; ms++) clock.advance(1)
    clock.advance(MONTH - 1001)
    await turn()
    expect(passivated).toBe(false)
    expect(clock.pending).toBe(1)
    clock.advance(1)
    await turn()
    expect(passivated).toBe(true)
    expect(clock.overflows).toBe(0)
  })

  it("a machine's 30-day `after` fires at 30 days", async () => {
    const clock = new NodeLikeClock()
    const branch = await open({ logic: patient, clock })
    clock.advance(MAX_TIMER_MS + 1)
    clock.advance(MONTH - MAX_TIMER_MS - 2)
    expect(branch.state()).toEqual({ done: false })
    clock.advance(1)
    expect(branch.state()).toEqual({ done: true })
    expect(clock.overflows).toBe(0)
  })

  it("a branch's stop with a 30-day timeout waits for its deferred call past 2^31-1 ms", async () => {
    const clock = new NodeLikeClock()
    const branch = await open({ logic: waiter, clock })
    const waiting = watch(call(branch, { type: 'wait' }, { timeout: Infinity }))
    await turn()
    const stopped = watch(branch.stop({ timeout: MONTH }))
    clock.advance(MAX_TIMER_MS + 1)
    await turn()
    expect(stopped.outcome).toBe('pending')
    expect(waiting.outcome).toBe('pending')
    expect(replyTo(tokenOf(branch), 'late but in time')).toBe(true)
    await turn()
    expect(waiting.outcome).toEqual({ value: 'late but in time' })
    await turn()
    expect(stopped.outcome).toEqual({ value: undefined })
    expect(clock.overflows).toBe(0)
  })

  it("a supervisor's 30-day shutdown does not cut its child off after 2^31-1 ms", async () => {
    const clock = new NodeLikeClock()
    const supervisor = await startSupervisor({ id: 'long-shutdown', clock, children: [branchSpec({ id: 'w', shutdown: MONTH, branch: { logic: waiter, clock } })] })
    started.push(supervisor)
    const child = supervisor.whichChildren()[0]?.child as AnyBranch
    const waiting = watch(call(child, { type: 'wait' }, { timeout: Infinity }))
    await turn()
    let cutOff = false
    supervisor.on('cutOff', () => (cutOff = true))
    const stopping = supervisor.stop()
    const stopped = watch(stopping)
    await turn()
    clock.advance(MAX_TIMER_MS + 1)
    await turn()
    expect(cutOff).toBe(false)
    expect(stopped.outcome).toBe('pending')
    expect(waiting.outcome).toBe('pending')
    replyTo(tokenOf(child), 'done')
    await stopping
    expect(cutOff).toBe(false)
    expect(clock.overflows).toBe(0)
  })

  it('a 30-day restart backoff restarts the child at 30 days', async () => {
    const clock = new NodeLikeClock()
    const supervisor = await startSupervisor({
      id: 'long-backoff',
      clock,
      children: [branchSpec({ id: 'c', restart: 'permanent', backoff: { initialMs: MONTH, maxMs: MONTH, jitter: 0 }, branch: { logic: counterReducer, clock } })]
    })
    started.push(supervisor)
    const first = supervisor.whichChildren()[0]?.child as AnyBranch
    await first.stop()
    await turn()
    clock.advance(MAX_TIMER_MS + 1)
    clock.advance(MONTH - MAX_TIMER_MS - 2)
    await turn()
    expect(supervisor.whichChildren()[0]).toMatchObject({ status: 'restarting' })
    clock.advance(1)
    for (let i = 0; i < 5 && supervisor.whichChildren()[0]?.status !== 'running'; i++) await turn()
    expect(supervisor.whichChildren()[0]).toMatchObject({ status: 'running' })
    expect(supervisor.whichChildren()[0]?.child).not.toBe(first)
    expect(clock.overflows).toBe(0)
  })

  it('a pool call with a 30-day timeout is not timed out while its branch starts', async () => {
    const clock = new NodeLikeClock()
    const pool = await startPool({ logic: counterReducer, clock })
    started.push(pool)
    const answer = pool.call('k', { type: 'get' }, { timeout: MONTH })
    clock.advance(MAX_TIMER_MS + 1)
    await expect(answer).resolves.toBe(0)
    expect(clock.overflows).toBe(0)
  })

  it('a 30-day maxProcessingMs does not end a healthy isolated worker after 2^31-1 ms', async () => {
    const clock = new NodeLikeClock()
    const device = await open({ logic: logicModule('device'), isolation: 'thread', maxProcessingMs: MONTH, clock })
    await call(device, { type: 'read', value: 1 })
    const reading = call(device, { type: 'read', value: 2 }, { timeout: Infinity })
    // The message is in flight in the worker's thread: its watchdog would fire now.
    clock.advance(MAX_TIMER_MS + 1)
    await expect(reading).resolves.toEqual([1, 2])
    expect(device.children()[1]).toMatchObject({ incarnation: 1 })
    expect(clock.overflows).toBe(0)
  })

  it('Infinity still means never: a call and an idle branch wait out a century', async () => {
    const clock = new NodeLikeClock()
    const branch = await open({ logic: waiter, clock, idleTimeout: Infinity })
    const waiting = watch(call(branch, { type: 'wait' }, { timeout: Infinity }))
    clock.advance(36_500 * DAY)
    await turn()
    expect(waiting.outcome).toBe('pending')
    expect(branch.status).toBe('running')
  })
})

describe('the default clock chains long timers too (Node timers, faked)', () => {
  afterEach(() => void vi.useRealTimers())

  it('a call with a 30-day timeout on the system clock times out at 30 days, not at once', async () => {
    const branch = await open({ logic: waiter })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const waiting = watch(call(branch, { type: 'wait' }, { timeout: MONTH }))
    vi.advanceTimersByTime(MAX_TIMER_MS + 1)
    await turn()
    expect(waiting.outcome).toBe('pending')
    vi.advanceTimersByTime(MONTH - MAX_TIMER_MS - 1)
    await turn()
    expect(waiting.outcome).toBeInstanceOf(CallTimeoutError)
  })
})

describe('a duration that is not one is refused with InvalidOptionError', () => {
  const bad = [NaN, -1, '10', null, {}]
  const clock: Clock = new NodeLikeClock()

  it.each(bad)('%s as call timeout, cast delay, stop timeouts, idleTimeout, maxProcessingMs, shutdown, backoff', async (value) => {
    const branch = await open({ logic: counterReducer })
    const supervisor = await Supervisor._start({ id: `bad-${String(value)}`, clock }, true)
    started.push(supervisor)
    const v = value as number
    const refused = (f: () => unknown) => expect(Promise.resolve().then(f)).rejects.toBeInstanceOf(InvalidOptionError)
    await refused(() => call(branch, { type: 'get' }, { timeout: v }))
    await refused(() => branch.cast({ type: 'inc' }, { delay: v }))
    await refused(() => startBranch({ logic: counterReducer, idleTimeout: v }))
    await refused(() => startBranch({ logic: logicModule('device'), isolation: 'thread', maxProcessingMs: v }))
    await refused(() => supervisor.startChild(branchSpec({ id: 's', shutdown: v, branch: { logic: counterReducer } })))
    await refused(() => supervisor.startChild(branchSpec({ id: 'b', backoff: { initialMs: v }, branch: { logic: counterReducer } })))
    await refused(() => supervisor.stop({ timeout: v }))
    await refused(() => branch.stop({ timeout: v }))
  })

  it('a lease or inspector interval longer than one timer is refused (each is a timer at a fraction of it)', async () => {
    expect(() => readNodeOptions({ servers: 'nats://127.0.0.1:4222', cluster: 'c', leaseTtl: MAX_TIMER_MS + 1 })).toThrow(InvalidOptionError)
    expect(readNodeOptions({ servers: 'nats://127.0.0.1:4222', cluster: 'c', leaseTtl: MAX_TIMER_MS }).leaseMs).toBe(MAX_TIMER_MS)
    await expect(startInspector({ interval: MAX_TIMER_MS + 1 })).rejects.toBeInstanceOf(InvalidOptionError)
  })
})
