import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import {
  call,
  CallTimeoutError,
  cast,
  deferReply,
  eventDigest,
  InvalidOptionError,
  LeaderDiedError,
  replyTo,
  startBranch,
  WorkerCrashedError,
  type AnyBranch
} from '../../src/index'
import { ManualClock } from '../support/ManualClock'
import { stoppedAfterEach } from '../support/cleanup'

const started = stoppedAfterEach<AnyBranch>()

type OpEvent =
  | { type: 'op'; x: number; extra?: unknown }
  | { type: 'busy'; x: number }
  | { type: 'boom' }
  | { type: 'burst' }

/**
 * `op` is asynchronous work taking `ms` on the clock (its reply deferred),
 * answering with its input and a random value; `busy` is synchronous work that
 * takes `ms` (it moves the clock while the worker is busy); `boom` crashes the
 * worker. `executions` counts the work actually done.
 */
function slowOps(clock: ManualClock, ms: number) {
  const executions: number[] = []
  const burst: Promise<unknown>[] = []
  let self: AnyBranch | undefined
  const logic = fromTransition((n: number, e: OpEvent) => {
    switch (e.type) {
      case 'op': {
        executions.push(e.x)
        if (e.x < 0) throw new Error('negative')
        const token = deferReply()
        const random = Math.random()
        clock.setTimeout(() => replyTo(token, { x: e.x, random }), ms)
        return n + 1
      }
      case 'busy':
        executions.push(e.x)
        clock.advance(ms)
        return n + 1
      case 'boom':
        throw new Error('boom')
      case 'burst':
        // Calls its own branch: they queue behind this message, the first
        // (which crashes the worker) leading the others.
        for (let i = 0; i < 3; i++) burst.push(call(self as AnyBranch, { type: 'op', x: -1 }, { dedupe: true, reentrant: true }).catch((e) => e))
        return n
    }
  }, 0)
  return { logic, executions, burst, bind: (b: AnyBranch) => (self = b) }
}

async function start(ms: number, options: Record<string, unknown> = {}) {
  const clock = new ManualClock()
  const ops = slowOps(clock, ms)
  const branch = await startBranch({ logic: ops.logic, clock, ...options })
  ops.bind(branch)
  started.push(branch)
  return { clock, branch, ...ops }
}

describe('deduplicated calls', () => {
  it('1,000 concurrent identical calls on a 50 ms operation run it once, and all get the same value', async () => {
    const { clock, branch, executions } = await start(50)
    const calls = Array.from({ length: 1000 }, () => call(branch, { type: 'op', x: 7 }, { dedupe: true }))
    clock.advance(50)
    const results = await Promise.all(calls)
    expect(executions).toEqual([7])
    expect(new Set(results).size).toBe(1)
    expect(results[0]).toMatchObject({ x: 7 })
  })

  it('3 distinct keys run 3 times', async () => {
    const { clock, branch, executions } = await start(50)
    const calls = Array.from({ length: 300 }, (_, i) => call(branch, { type: 'op', x: i % 3 }, { dedupe: true }))
    clock.advance(50)
    const results = (await Promise.all(calls)) as unknown as { x: number }[]
    expect(executions).toEqual([0, 1, 2])
    expect(results.map((r) => r.x)).toEqual(calls.map((_, i) => i % 3))
  })

  it('without dedupe every call runs', async () => {
    const { clock, branch, executions } = await start(50)
    const calls = Array.from({ length: 10 }, () => call(branch, { type: 'op', x: 7 }))
    clock.advance(50)
    await Promise.all(calls)
    expect(executions).toHaveLength(10)
  })

  it("hb_persistent's test: two clients 100 ms apart on the same 200 ms operation get equal results in under 400 ms", async () => {
    const { clock, branch, executions } = await start(200)
    const first = call(branch, { type: 'op', x: 1 }, { dedupe: true })
    clock.advance(100)
    const second = call(branch, { type: 'op', x: 1 }, { dedupe: true })
    clock.advance(100)
    const [a, b] = await Promise.all([first, second])
    expect(a).toEqual(b) // the random value included
    expect(clock.now()).toBeLessThan(400)
    expect(executions).toEqual([1])
  })

  it("hb_persistent's test: a static worker given three different requests runs them one after another", async () => {
    const { clock, branch, executions } = await start(200)
    const t0 = clock.now()
    await Promise.all([1, 2, 3].map((x) => call(branch, { type: 'busy', x }, { dedupe: true })))
    expect(executions).toEqual([1, 2, 3])
    expect(clock.now() - t0).toBeGreaterThanOrEqual(3 * 200)
  })

  it('keys by content, not identity or key order; different data never shares a group', async () => {
    const digest = (event: object) => eventDigest(event as { type: string })
    expect(digest({ type: 'op', a: 1, b: { c: [1, 2] } })).toBe(digest({ b: { c: [1, 2] }, a: 1, type: 'op' }))
    const distinct = [
      { type: 'op', a: 1 },
      { type: 'op', a: '1' },
      { type: 'op', a: [1] },
      { type: 'op', a: null },
      { type: 'op', a: undefined },
      { type: 'op' },
      { type: 'op', a: -0 },
      { type: 'op', a: 0 },
      { type: 'op', 'a:1': 1 }
    ]
    expect(new Set(distinct.map(digest)).size).toBe(distinct.length)

    const { clock, branch, executions } = await start(50)
    const calls = [
      call(branch, { type: 'op', x: 1, extra: { a: 1, b: 2 } }, { dedupe: true }),
      call(branch, { extra: { b: 2, a: 1 }, x: 1, type: 'op' } as { type: 'op'; x: number }, { dedupe: true }),
      call(branch, { type: 'op', x: 1, extra: { a: 1, b: 3 } }, { dedupe: true })
    ]
    clock.advance(50)
    const [a, b, c] = await Promise.all(calls)
    expect(a).toBe(b)
    expect(c).not.toBe(a)
    expect(executions).toEqual([1, 1])
  })

  it('a branch-level grouper decides what is identical; dedupe: false opts out', async () => {
    const { clock, branch, executions } = await start(50, {
      grouper: (e: OpEvent) => (e.type === 'op' ? `op:${e.x}` : undefined)
    })
    const calls = [
      call(branch, { type: 'op', x: 1, extra: 'a' }),
      call(branch, { type: 'op', x: 1, extra: 'b' }),
      call(branch, { type: 'op', x: 1 }, { dedupe: false })
    ]
    clock.advance(50)
    const [a, b, c] = await Promise.all(calls)
    expect(a).toBe(b)
    expect(c).not.toBe(a)
    expect(executions).toEqual([1, 1])
  })

  it('a leader whose execution crashes the worker: it gets WorkerCrashedError, every follower LeaderDiedError, at once', async () => {
    const { clock, branch } = await start(50)
    const leader = call(branch, { type: 'op', x: 1 }, { dedupe: true }).catch((e) => e)
    const followers = Array.from({ length: 99 }, () => call(branch, { type: 'op', x: 1 }, { dedupe: true }).catch((e) => e))
    cast(branch, { type: 'boom' }) // crashes the worker while the execution awaits its deferred reply
    const crashedAt = clock.now()
    expect(await leader).toBeInstanceOf(WorkerCrashedError)
    for (const error of await Promise.all(followers)) {
      expect(error).toBeInstanceOf(LeaderDiedError)
      expect((error as LeaderDiedError).cause).toBeInstanceOf(WorkerCrashedError)
    }
    expect(clock.now() - crashedAt).toBeLessThan(100)
    expect(branch.status).toBe('running')
  })

  it('followers that joined a queued execution which crashes reject with LeaderDiedError', async () => {
    const { branch, executions, burst } = await start(50)
    cast(branch, { type: 'burst' })
    const [first, ...rest] = await Promise.all(burst)
    expect(executions).toEqual([-1])
    expect(first).toBeInstanceOf(WorkerCrashedError)
    expect(rest).toHaveLength(2)
    for (const error of rest) expect(error).toBeInstanceOf(LeaderDiedError)
  })

  it("a follower's own timeout applies; the leader's timeout does not end the group", async () => {
    const { clock, branch, executions } = await start(200)
    const leader = call(branch, { type: 'op', x: 1 }, { dedupe: true, timeout: 50 }).catch((e) => e)
    const impatient = call(branch, { type: 'op', x: 1 }, { dedupe: true, timeout: 10 }).catch((e) => e)
    const patient = call(branch, { type: 'op', x: 1 }, { dedupe: true, timeout: 1000 })
    clock.advance(10)
    expect(await impatient).toBeInstanceOf(CallTimeoutError)
    clock.advance(40)
    expect(await leader).toBeInstanceOf(CallTimeoutError)
    const late = call(branch, { type: 'op', x: 1 }, { dedupe: true }) // still joins the execution in flight
    clock.advance(150)
    expect(await patient).toMatchObject({ x: 1 })
    expect(await late).toBe(await patient)
    expect(executions).toEqual([1])
  })

  it('an execution every caller gave up on is abandoned; the next call starts a new one', async () => {
    const { clock, branch, executions } = await start(200)
    const gaveUp = call(branch, { type: 'op', x: 1 }, { dedupe: true, timeout: 10 }).catch((e) => e)
    clock.advance(10)
    expect(await gaveUp).toBeInstanceOf(CallTimeoutError)
    const next = call(branch, { type: 'op', x: 1 }, { dedupe: true })
    clock.advance(200)
    expect(await next).toMatchObject({ x: 1 })
    expect(executions).toEqual([1, 1])
  })

  it('a call arriving after the execution finished starts a new one', async () => {
    const { clock, branch, executions } = await start(50)
    const first = call(branch, { type: 'op', x: 1 }, { dedupe: true })
    clock.advance(50)
    const a = await first
    const second = call(branch, { type: 'op', x: 1 }, { dedupe: true })
    clock.advance(50)
    const b = await second
    expect(a).not.toBe(b)
    expect(executions).toEqual([1, 1])
  })

  it('a synchronous execution answers its caller at once and leaves no group behind', async () => {
    const { branch, executions } = await start(0)
    expect(await call(branch, { type: 'busy', x: 1 }, { dedupe: true })).toBe(1)
    expect(await call(branch, { type: 'busy', x: 1 }, { dedupe: true })).toBe(2)
    expect(executions).toEqual([1, 1])
  })

  it('stopping the branch rejects the whole group with BranchStoppedError', async () => {
    const { branch } = await start(50)
    const calls = Array.from({ length: 3 }, () => call(branch, { type: 'op', x: 1 }, { dedupe: true }).catch((e) => e))
    await branch.stop({ timeout: 0 })
    for (const error of await Promise.all(calls)) expect((error as Error).name).toBe('BranchStoppedError')
  })

  it('rejects bad options and events it cannot key with typed errors', async () => {
    const { branch, logic } = await start(50)
    await expect(call(branch, { type: 'op', x: 1 }, { dedupe: 'yes' as never })).rejects.toBeInstanceOf(InvalidOptionError)
    const circular: Record<string, unknown> = { type: 'op', x: 1 }
    circular.self = circular
    await expect(call(branch, circular as never, { dedupe: true })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(call(branch, { type: 'op', x: 1, extra: new Map() }, { dedupe: true })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(startBranch({ logic, grouper: 42 as never })).rejects.toBeInstanceOf(InvalidOptionError)
    const bad = await start(50, { grouper: () => 42 })
    await expect(call(bad.branch, { type: 'op', x: 1 })).rejects.toBeInstanceOf(InvalidOptionError)
  })
})
