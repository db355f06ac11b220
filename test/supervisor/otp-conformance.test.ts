import { describe, expect, it } from 'vitest'
import { assign, setup } from 'xstate'
import {
  branchSpec,
  call,
  ChildRestartingError,
  ChildRunningError,
  deferReply,
  InvalidOptionError,
  RestartIntensityExceeded,
  startDynamicSupervisor,
  startSupervisor,
  supervisorSpec,
  type ChildSpec,
  type ReplyToken,
  type StopReason,
  type Supervisor
} from '../../src/index'
import { childOf, exits, recorded } from '../support/children'
import { next } from '../support/deferred'
import { ManualClock } from '../support/ManualClock'
import { startedForEach } from '../support/cleanup'

// Cases of OTP's supervisor_SUITE (and Elixir's DynamicSupervisor tests) where
// keepsake used to differ, translated: each child is a branch that gives up at
// its first crash (maxRestarts 0), so a kill is an exit to its supervisor.

const { start } = startedForEach(startSupervisor)

const NO_JITTER = { initialMs: 100, maxMs: 100, jitter: 0 }

/** A child whose start throws while `device.failing` (OTP's supervisor_deadlock); retries wait 100 ms on the clock. */
function flaky(id: string, log: string[], device: { failing: boolean }): ChildSpec {
  const healthy = recorded(id, log)
  return {
    ...healthy,
    backoff: NO_JITTER,
    start: (context) => {
      if (device.failing) {
        log.push(`fail ${id}`)
        throw new Error(`${id}: device not ready`)
      }
      return healthy.start(context)
    }
  }
}

/** Makes child `id` fail and waits until its supervisor has handled the exit (a backoff restart is then on the clock). */
async function fail(sup: Supervisor, id: string): Promise<void> {
  const exited = next(sup, 'childExit')
  exits.failure(childOf(sup, id))
  await exited
}

const statuses = (sup: Supervisor) => sup.whichChildren().map((c) => `${c.id} ${c.status}`)

/** Children a, b, c under `strategy`, b's start failing from now on: the setting of OTP's hanging_restart_loop cases. */
async function withFailingB(strategy: 'rest_for_one' | 'one_for_all', options: { maxRestarts?: number; maxSeconds?: number } = {}) {
  const clock = new ManualClock()
  const log: string[] = []
  const device = { failing: false }
  const sup = await start({ clock, strategy, ...options, children: [recorded('a', log), flaky('b', log, device), recorded('c', log)] })
  log.length = 0
  device.failing = true
  return { clock, log, device, sup }
}

describe('a child that fails to restart (OTP: start_children stops at the first failure)', () => {
  it('hanging_restart_loop_rest_for_one: the children after it stay down, and terminate/restart of it leaves them down', async () => {
    const { clock, log, device, sup } = await withFailingB('rest_for_one', { maxRestarts: 8, maxSeconds: 10 })

    await fail(sup, 'b')
    const failed = next(sup, 'restartFailed')
    clock.advance(100)
    await failed
    expect(log).toEqual(['stop b', 'stop c', 'fail b'])
    expect(statuses(sup)).toEqual(['a running', 'b restarting', 'c stopped'])
    expect(sup.countChildren()).toMatchObject({ specs: 3, active: 1 })

    // Each retry tries b alone: c is not started, let alone bounced.
    const again = next(sup, 'restartFailed')
    clock.advance(100)
    await again
    expect(log).toEqual(['stop b', 'stop c', 'fail b', 'fail b'])

    // OTP's {error, restarting}.
    await expect(sup.restartChild('b')).rejects.toBeInstanceOf(ChildRestartingError)
    const refused = await sup.deleteChild('b').catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ChildRestartingError)
    expect(refused).toMatchObject({ childId: 'b', restarting: true, code: 'CHILD_RESTARTING' })
    expect((refused as Error).message).toMatch(/while it is restarting/)

    await sup.terminateChild('b')
    expect(statuses(sup)).toEqual(['a running', 'b stopped', 'c stopped'])
    clock.advance(10_000)
    await sup.whenIdle()
    expect(log).toEqual(['stop b', 'stop c', 'fail b', 'fail b'])

    device.failing = false
    await sup.restartChild('b')
    expect(statuses(sup)).toEqual(['a running', 'b running', 'c stopped'])
    expect(log.slice(4)).toEqual(['start b'])
  })

  it('rest_for_one_other_child_fails_restart: once it starts, the ones after it start too', async () => {
    const { clock, log, device, sup } = await withFailingB('rest_for_one')
    exits.failure(childOf(sup, 'a'))
    const failed = next(sup, 'restartFailed')
    await failed
    // a started; b failed; c waits down behind it.
    expect(log).toEqual(['stop a', 'stop c', 'stop b', 'start a', 'fail b'])
    expect(statuses(sup)).toEqual(['a running', 'b restarting', 'c stopped'])

    device.failing = false
    const restarted = new Promise<void>((resolve) => sup.on('restart', ({ childId }) => childId === 'c' && resolve()))
    clock.advance(100)
    await restarted
    expect(log.slice(5)).toEqual(['start b', 'start c'])
    expect(statuses(sup)).toEqual(['a running', 'b running', 'c running'])
  })

  it('one_for_all_other_child_fails_restart: the children after it stay down; its retry restarts the whole group', async () => {
    const { clock, log, device, sup } = await withFailingB('one_for_all')
    await fail(sup, 'b')
    const failed = next(sup, 'restartFailed')
    clock.advance(100)
    await failed
    expect(log).toEqual(['stop b', 'stop c', 'stop a', 'start a', 'fail b'])
    expect(statuses(sup)).toEqual(['a running', 'b restarting', 'c stopped'])

    // terminate/restart of the failed child leaves c down, as for rest_for_one.
    await sup.terminateChild('b')
    device.failing = false
    await sup.restartChild('b')
    expect(statuses(sup)).toEqual(['a running', 'b running', 'c stopped'])

    // A later failing retry of b, healed: a is stopped and started again with it (OTP restarts the whole group), then c.
    device.failing = true
    log.length = 0
    await fail(sup, 'b')
    const failedAgain = next(sup, 'restartFailed')
    clock.advance(100)
    await failedAgain
    device.failing = false
    const restarted = new Promise<void>((resolve) => sup.on('restart', ({ childId }) => childId === 'c' && resolve()))
    clock.advance(1000)
    await restarted
    expect(log).toEqual(['stop b', 'stop a', 'start a', 'fail b', 'stop a', 'start a', 'start b', 'start c'])
    expect(statuses(sup)).toEqual(['a running', 'b running', 'c running'])
  })

  it('hanging_restart_loop: restartChild and deleteChild answer "restarting", not "running"', async () => {
    const clock = new ManualClock()
    const device = { failing: false }
    const sup = await start({ clock, children: [flaky('x', [], device)] })
    await expect(sup.restartChild('x')).rejects.toBeInstanceOf(ChildRunningError)
    device.failing = true
    await fail(sup, 'x')
    const failed = next(sup, 'restartFailed')
    clock.advance(100)
    await failed
    await expect(sup.restartChild('x')).rejects.toBeInstanceOf(ChildRestartingError)
    await expect(sup.deleteChild('x')).rejects.toBeInstanceOf(ChildRestartingError)
    await sup.terminateChild('x')
    await sup.deleteChild('x')
    expect(sup.whichChildren()).toEqual([])
  })
})

describe('a supervisor that reaches its restart intensity exits with shutdown (as OTP)', () => {
  /** A supervisor child that gives up at its first restart. */
  const fragile = (id: string, log: string[], spec: Partial<ChildSpec> = {}) =>
    supervisorSpec({ ...spec, supervisor: { id, maxRestarts: 0, children: [recorded(`${id}-device`, log)] } })

  it('its reason is shutdown, with the RestartIntensityExceeded as its cause', async () => {
    const sup = await start({ maxRestarts: 0, children: [recorded('x', [])] })
    const stopped = next<StopReason>(sup, 'stop')
    exits.failure(childOf(sup, 'x'))
    const reason = await stopped
    expect(reason.kind).toBe('shutdown')
    expect(reason.kind === 'shutdown' && reason.cause).toBeInstanceOf(RestartIntensityExceeded)
  })

  it('transient_shutdown: a transient child supervisor that gives up is not restarted by its parent', async () => {
    const log: string[] = []
    const root = await start({ children: [fragile('mid', log, { restart: 'transient' }), recorded('other', log)] })
    const mid = root.whichChildren()[0]?.child as Supervisor
    const exited = next<{ childId: string; reason: StopReason }>(root, 'childExit')
    exits.failure(childOf(mid, 'mid-device'))
    expect((await exited).reason.kind).toBe('shutdown')
    await root.whenIdle()
    expect(statuses(root)).toEqual(['mid stopped', 'other running'])
    expect(log.filter((e) => e === 'start mid-device')).toHaveLength(1)
  })

  it('a permanent child supervisor that gives up is restarted by its parent', async () => {
    const log: string[] = []
    const root = await start({ children: [fragile('mid', log)] })
    exits.failure(childOf(root.whichChildren()[0]?.child as Supervisor, 'mid-device'))
    const restarted = next(root, 'restart')
    await restarted
    expect(statuses(root)).toEqual(['mid running'])
    expect(log.filter((e) => e === 'start mid-device')).toHaveLength(2)
  })

  it('auto_shutdown any_significant: a significant transient child supervisor that gives up shuts its parent down, through three levels', async () => {
    const log: string[] = []
    const leaf = { id: 'leaf', maxRestarts: 0, children: [recorded('device', log)] }
    const mid = { id: 'mid', autoShutdown: 'any_significant' as const, children: [supervisorSpec({ supervisor: leaf, restart: 'transient', significant: true })] }
    const root = await start({ id: 'root', autoShutdown: 'any_significant', children: [supervisorSpec({ supervisor: mid, restart: 'transient', significant: true }), recorded('bystander', log)] })
    const midSup = root.whichChildren()[0]?.child as Supervisor
    const leafSup = midSup.whichChildren()[0]?.child as Supervisor
    const reasons: Record<string, StopReason> = {}
    for (const [id, s] of [['root', root], ['mid', midSup], ['leaf', leafSup]] as const) s.on('stop', (r) => (reasons[id] = r))
    const rootStopped = next(root, 'stop')

    exits.failure(childOf(leafSup, 'device'))
    await rootStopped

    expect(reasons.leaf).toMatchObject({ kind: 'shutdown', cause: expect.any(RestartIntensityExceeded) })
    expect(reasons.mid).toEqual({ kind: 'shutdown' })
    expect(reasons.root).toEqual({ kind: 'shutdown' })
    expect([root.status, midSup.status, leafSup.status]).toEqual(['stopped', 'stopped', 'stopped'])
    expect(log).toEqual(['start device', 'start bystander', 'stop device', 'stop bystander'])
  })
})

describe('a dynamic supervisor', () => {
  it('bad_combination: startDynamicSupervisor refuses autoShutdown', async () => {
    for (const autoShutdown of ['any_significant', 'all_significant', 'never']) {
      const refused = await startDynamicSupervisor({ autoShutdown } as never).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(InvalidOptionError)
      expect((refused as Error).message).toMatch(/autoShutdown/)
    }
  })

  /** A machine whose `hold` call is answered only later: its branch's graceful stop waits for it. */
  const holder = setup({ types: { context: {} as { held: ReplyToken | null }, events: {} as { type: 'hold' } } }).createMachine({
    context: { held: null },
    on: { hold: { actions: assign({ held: () => deferReply() }) } }
  })

  it('stops its children concurrently, each within its own shutdown time: 1,000 children with 2 s take 2 s', async () => {
    const clock = new ManualClock()
    const pool = await startDynamicSupervisor({ clock })
    const n = 1000
    for (let i = 0; i < n; i++) {
      const branch = await pool.startChild(branchSpec({ branch: { logic: holder, clock }, shutdown: 2000 }))
      void call(branch as never, { type: 'hold' }, { timeout: Infinity }).catch(() => {})
    }
    let cutOff = 0
    pool.on('cutOff', () => cutOff++)
    let stopped = false
    const stopping = pool.stop().then(() => (stopped = true))
    await new Promise((resolve) => setImmediate(resolve))
    // Every child was asked to stop at once: each one's own shutdown timer is running.
    expect(clock.pending).toBeGreaterThanOrEqual(n)
    clock.advance(1999)
    await new Promise((resolve) => setImmediate(resolve))
    expect(stopped).toBe(false)
    clock.advance(1)
    await stopping
    expect(clock.now()).toBe(2000)
    expect(cutOff).toBe(n)
  })
})
