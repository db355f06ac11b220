import { describe, expect, it } from 'vitest'
import { setup } from 'xstate'
import {
  branchSpec,
  call,
  cast,
  ChildAlreadyExistsError,
  ChildRunningError,
  ChildStartError,
  InvalidOptionError,
  startDynamicSupervisor,
  startSupervisor,
  SupervisorFullError,
  SupervisorStoppedError,
  UnknownChildError,
  type StopReason
} from '../../src/index'
import { childOf, exits, finishable, recorded } from '../support/children'
import { deferred } from '../support/deferred'
import { ManualClock } from '../support/ManualClock'
import { startedForEach } from '../support/cleanup'

const { items: running, start } = startedForEach(startSupervisor)

describe('managing children', () => {
  it('startChild, terminateChild, restartChild, deleteChild, whichChildren, countChildren', async () => {
    const log: string[] = []
    const sup = await start({ children: [recorded('a', log)] })
    await sup.startChild(recorded('b', log))
    expect(sup.countChildren()).toEqual({ specs: 2, active: 2, supervisors: 0, workers: 2 })

    await sup.terminateChild('b')
    expect(sup.whichChildren().map((c) => [c.id, c.status])).toEqual([['a', 'running'], ['b', 'stopped']])
    await expect(sup.deleteChild('a')).rejects.toBeInstanceOf(ChildRunningError)
    await expect(sup.restartChild('a')).rejects.toBeInstanceOf(ChildRunningError)
    await sup.restartChild('b')
    expect(sup.countChildren().active).toBe(2)
    await sup.terminateChild('b')
    await sup.deleteChild('b')
    expect(sup.whichChildren().map((c) => c.id)).toEqual(['a'])
    expect(log).toEqual(['start a', 'start b', 'stop b', 'start b', 'stop b'])

    await expect(sup.startChild(recorded('a', log))).rejects.toBeInstanceOf(ChildAlreadyExistsError)
    await expect(sup.terminateChild('zzz')).rejects.toBeInstanceOf(UnknownChildError)
    await expect(sup.startChild({ id: 'bad', start: () => { throw new Error('no device') } })).rejects.toBeInstanceOf(ChildStartError)
    await expect(sup.startChild({ id: 'odd', start: () => 42 as never })).rejects.toBeInstanceOf(ChildStartError)
    expect(sup.whichChildren().map((c) => c.id)).toEqual(['a'])
  })

  it('refuses two initial children with one id, starting neither', async () => {
    const log: string[] = []
    await expect(startSupervisor({ children: [recorded('a', log), recorded('a', log)] })).rejects.toBeInstanceOf(ChildAlreadyExistsError)
    expect(log).toEqual([])
  })

  it('keeps ids unique among 10,000 dynamic children as they come and go', async () => {
    const sup = await startDynamicSupervisor({ maxChildren: 20_000 })
    running.push(sup)
    const log: string[] = []
    for (let i = 0; i < 10_000; i++) await sup.startChild(recorded(`c${i}`, log))
    await expect(sup.startChild(recorded('c5000', log))).rejects.toBeInstanceOf(ChildAlreadyExistsError)
    await sup.terminateChild('c9999')
    await expect(sup.terminateChild('c9999')).rejects.toBeInstanceOf(UnknownChildError)
    await sup.startChild(recorded('c9999', log))
    expect(sup.countChildren().specs).toBe(10_000)
  })

  it('rejects bad specs and options with typed errors', async () => {
    const sup = await start({})
    await expect(sup.startChild({ id: '', start: () => undefined as never })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(sup.startChild({ id: 'x', start: 'no' as never })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(sup.startChild({ ...recorded('x', []), restart: 'sometimes' as never })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(sup.startChild({ ...recorded('x', []), shutdown: -1 })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(startSupervisor({ strategy: 'all_for_none' as never })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(startSupervisor({ children: 'a' as never })).rejects.toBeInstanceOf(InvalidOptionError)
  })

  it('a failing initial child stops the ones started before it and fails the start', async () => {
    const log: string[] = []
    const failing = { id: 'bad', start: () => Promise.reject(new Error('no device')) }
    const error = await startSupervisor({ children: [recorded('a', log), failing, recorded('c', log)] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ChildStartError)
    expect(log).toEqual(['start a', 'stop a'])
  })

  it('a stopped supervisor refuses requests', async () => {
    const sup = await startSupervisor({})
    await sup.stop()
    await expect(sup.startChild(recorded('a', []))).rejects.toBeInstanceOf(SupervisorStoppedError)
  })
})

describe('a child in a failing restart loop', () => {
  it('shows as restarting, is not active, and terminateChild and stop still work', async () => {
    let healthy = true
    let attempts = 0
    const fourFailures = deferred<void>()
    const flaky = {
      ...recorded('flaky', []),
      start: async () => {
        attempts++
        if (!healthy && attempts === 5) fourFailures.resolve()
        if (!healthy) throw new Error('device not ready')
        return (await recorded('flaky', []).start({ previous: undefined }))
      }
    }
    const clock = new ManualClock()
    const sup = await start({ clock, maxRestarts: 1000, children: [recorded('steady', []), flaky] })
    healthy = false
    exits.failure(childOf(sup, 'flaky'))
    await fourFailures.promise
    expect(sup.whichChildren().map((c) => c.status)).toEqual(['running', 'restarting'])
    expect(sup.countChildren().active).toBe(1)
    await sup.terminateChild('flaky')
    const stoppedAt = attempts
    await sup.whenIdle()
    expect(attempts).toBe(stoppedAt)
    expect(sup.whichChildren()[1]?.status).toBe('stopped')
  })
})

describe('a dynamic supervisor', () => {
  it('starts children on demand up to maxChildren, and forgets those that stop for good', async () => {
    const pool = await startDynamicSupervisor({ maxChildren: 2 })
    running.push(pool)
    const one = await pool.startChild(branchSpec({ branch: { logic: finishable } }))
    await pool.startChild(branchSpec({ branch: { logic: finishable }, restart: 'transient' }))
    await expect(pool.startChild(branchSpec({ branch: { logic: finishable } }))).rejects.toBeInstanceOf(SupervisorFullError)
    const [first, second] = pool.whichChildren()
    expect(first?.child).toBe(one)

    cast(second?.child as never, { type: 'finish' })
    await pool.whenIdle()
    expect(pool.whichChildren().map((c) => c.id)).toEqual([first?.id])
    await pool.terminateChild(first?.id as string)
    expect(pool.whichChildren()).toEqual([])
    await expect(startDynamicSupervisor({ strategy: 'one_for_all' } as never)).rejects.toBeInstanceOf(InvalidOptionError)
  })
})

describe('autoShutdown with significant children', () => {
  it('any_significant: a transient significant child exiting normally shuts the supervisor down', async () => {
    const sup = await start({
      autoShutdown: 'any_significant',
      children: [recorded('helper', []), recorded('main', [], { restart: 'transient', significant: true })]
    })
    const reasons: StopReason[] = []
    sup.on('shutdown', (r) => reasons.push(r))
    exits.failure(childOf(sup, 'main')) // abnormal: restarted, does not count
    await sup.whenIdle()
    expect(sup.status).toBe('running')
    exits.normal(childOf(sup, 'main'))
    await sup.whenIdle()
    expect(sup.status).toBe('stopped')
    expect(reasons).toEqual([{ kind: 'shutdown' }])
  })

  it('all_significant: only when every significant child has exited', async () => {
    const sup = await start({
      autoShutdown: 'all_significant',
      children: [recorded('a', [], { restart: 'temporary', significant: true }), recorded('b', [], { restart: 'temporary', significant: true })]
    })
    exits.failure(childOf(sup, 'a'))
    await sup.whenIdle()
    expect(sup.status).toBe('running')
    exits.normal(childOf(sup, 'b'))
    await sup.whenIdle()
    expect(sup.status).toBe('stopped')
  })

  it('terminateChild on a significant child does not count', async () => {
    const sup = await start({ autoShutdown: 'any_significant', children: [recorded('main', [], { restart: 'transient', significant: true })] })
    await sup.terminateChild('main')
    await sup.whenIdle()
    expect(sup.status).toBe('running')
  })

  it('significant with permanent, or with autoShutdown never, is rejected', async () => {
    await expect(startSupervisor({ autoShutdown: 'any_significant', children: [recorded('x', [], { significant: true })] })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(startSupervisor({ children: [recorded('x', [], { restart: 'transient', significant: true })] })).rejects.toBeInstanceOf(InvalidOptionError)
  })
})

describe('a branch restarted by its supervisor after it gave up', () => {
  it.each([
    [false, 0],
    [true, 3]
  ])('keepState %s: starts with count %i', async (keepState, expected) => {
    const sup = await start({ children: [branchSpec({ id: 'counter', branch: { logic: finishable, intensity: { maxRestarts: 0 } }, keepState })] })
    for (let i = 0; i < 3; i++) cast(childOf(sup, 'counter'), { type: 'inc' })
    exits.failure(childOf(sup, 'counter'))
    await sup.whenIdle()
    expect(await call(childOf(sup, 'counter'), { type: 'get' })).toEqual({ count: expected })
  })

  it('keepState: the crashed worker\'s pending delays come with the state (the last restore point, not the kept state alone)', async () => {
    const clock = new ManualClock()
    const timer = setup({}).createMachine({
      initial: 'waiting',
      states: { waiting: { after: { 5000: 'done' } }, done: {} }
    })
    const sup = await start({ children: [branchSpec({ id: 'timer', branch: { logic: timer, clock, intensity: { maxRestarts: 0 } }, keepState: true })] })
    exits.failure(childOf(sup, 'timer'))
    await sup.whenIdle()
    const restarted = childOf(sup, 'timer')
    expect(restarted.getSnapshot().value).toBe('waiting')
    // Rescheduled for the time it had left by xstate's own time base (Date.now()): all of it, on this clock.
    clock.advance(5000)
    expect(restarted.getSnapshot().value).toBe('done')
  })
})
