import { describe, expect, it } from 'vitest'
import {
  branchSpec,
  call,
  cast,
  ChildStartError,
  InvalidOptionError,
  startSupervisor,
  SupervisorStoppedError,
  WorkerCrashedError
} from '../../src/index'
import { childOf, exits, finishable, HandMadeChild, recorded } from '../support/children'
import { deferred, next } from '../support/deferred'
import { ManualClock } from '../support/ManualClock'
import { startedForEach } from '../support/cleanup'

// The supervisor's mechanism where the lifecycle and management suites did
// not reach it (each case kills a mutant that survived them): what a failed
// start carries, how a late child and a cut-off child are stopped, exits and
// restarts that reach the mailbox late, and which exits count for autoShutdown.

const { start } = startedForEach(startSupervisor)
const tick = () => new Promise((resolve) => setImmediate(resolve))

/**
 * A hand-made child. `crash` makes it exit on its own (synchronously, as a
 * device might); its stops are recorded, and `stopWith` decides how each ends.
 */
class Device extends HandMadeChild {
  readonly stops: ({ timeout?: number } | undefined)[] = []
  constructor(
    readonly id: string,
    readonly stopWith: (options: { timeout?: number } | undefined) => Promise<void> = () => Promise.resolve()
  ) {
    super()
  }
  crash(): void {
    this.exit({ kind: 'failure', error: new WorkerCrashedError(this.id, 'fault', new Error(`${this.id} fault`)) })
  }
  stop(options?: { timeout?: number }): Promise<void> {
    this.stops.push(options)
    this.status = 'stopped'
    return this.stopWith(options)
  }
}

describe('starting a child', () => {
  it('a start that throws fails with ChildStartError whose cause is what it threw', async () => {
    const sup = await start({ id: 'plant' })
    const fault = new Error('no device on the bus')
    const error = await sup
      .startChild({
        id: 'sensor',
        start: () => {
          throw fault
        }
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ChildStartError)
    expect(error).toMatchObject({ childId: 'sensor', cause: fault })
    expect(sup.whichChildren()).toEqual([])
  })

  it('a child that finishes starting after stop() began is stopped with no grace time (timeout 0)', async () => {
    const sup = await startSupervisor({})
    const gate = deferred<void>()
    const late = new Device('late')
    const starting = sup
      .startChild({
        id: 'late',
        start: async () => {
          await gate.promise
          return late
        }
      })
      .catch((e: unknown) => e)
    await tick()
    const stopping = sup.stop()
    gate.resolve()
    expect(await starting).toBeInstanceOf(SupervisorStoppedError)
    await stopping
    expect(late.stops).toEqual([{ timeout: 0 }])
  })
})

describe('stopping', () => {
  it("while its children stop, the supervisor's status is stopping, and an unbounded stop arms no timer", async () => {
    const clock = new ManualClock()
    const release = deferred<void>()
    const slow = new Device('slow', () => release.promise)
    const sup = await startSupervisor({ clock, children: [{ id: 'slow', start: () => slow, shutdown: 'infinity' }] })
    const stopping = sup.stop()
    await tick()
    expect(sup.status).toBe('stopping')
    expect(clock.pending).toBe(0)
    release.resolve()
    await stopping
    expect(sup.status).toBe('stopped')
  })

  it('a cut-off child whose forced stop rejects is reported to listenerError', async () => {
    const clock = new ManualClock()
    const forced = new Error('forced stop failed')
    // It ignores its graceful stop; the stop at once (timeout 0) that cuts it off rejects.
    const stubborn = new Device('stubborn', (options) => (options?.timeout === 0 ? Promise.reject(forced) : new Promise(() => {})))
    const sup = await startSupervisor({ clock, children: [{ id: 'stubborn', start: () => stubborn, shutdown: 10 }] })
    const reported: unknown[] = []
    sup.on('listenerError', (error) => reported.push(error))
    const cutOff = next(sup, 'cutOff')
    const stopping = sup.stop()
    await tick()
    clock.advance(10)
    await cutOff
    await tick()
    expect(stubborn.stops).toEqual([{ timeout: 10 }, { timeout: 0 }])
    expect(reported).toEqual([forced])
    await stopping
  })
})

describe('exits and restarts that reach the mailbox late', () => {
  it('an exit queued behind a terminateChild of that child is stale: the child is neither reported nor restarted', async () => {
    const devices: Device[] = []
    const sup = await start({
      children: [
        {
          id: 'pump',
          start: () => {
            const device = new Device('pump')
            devices.push(device)
            return device
          }
        }
      ]
    })
    const exitsSeen: string[] = []
    sup.on('childExit', ({ childId }) => exitsSeen.push(childId))
    const terminated = sup.terminateChild('pump')
    devices[0]?.crash() // its exit comes after the request in the mailbox
    await terminated
    await sup.whenIdle()
    expect(devices).toHaveLength(1)
    expect(exitsSeen).toEqual([])
    expect(sup.whichChildren()[0]).toMatchObject({ status: 'stopped', restarts: 0 })
  })

  it('a restart that comes due while the supervisor stops starts nothing and is not counted in its intensity window', async () => {
    const pumps: Device[] = []
    const release = deferred<void>()
    // Stopped first (reverse start order), and slowly: the pump's restart comes due meanwhile.
    const slow = new Device('slow', () => release.promise)
    const sup = await startSupervisor({
      children: [
        {
          id: 'pump',
          start: () => {
            const device = new Device('pump')
            pumps.push(device)
            return device
          }
        },
        { id: 'slow', start: () => slow, shutdown: 'infinity' }
      ]
    })
    let stopping: Promise<void> | undefined
    sup.once('childExit', () => (stopping = sup.stop())) // before the restart is scheduled
    pumps[0]?.crash()
    await tick()
    await tick()
    expect(sup.status).toBe('stopping')
    release.resolve()
    await stopping
    await sup.whenIdle()
    expect(pumps).toHaveLength(1)
    expect(sup.tree().intensity?.inWindow).toBe(0)
  })

  it('a failed restart is reported as restartFailed with the supervisor, the child and the ChildStartError', async () => {
    let starts = 0
    const fault = new Error('still broken')
    const sup = await start({
      id: 'plant',
      children: [
        {
          id: 'pump',
          // Its first restart fails; the retry starts it.
          start: () => {
            if (++starts === 2) throw fault
            return new Device('pump')
          }
        }
      ]
    })
    const failed = next<{ supervisorId: string; childId: string; error: ChildStartError }>(sup, 'restartFailed')
    ;(sup.whichChildren()[0]?.child as Device).crash()
    const report = await failed
    expect(report).toMatchObject({ supervisorId: 'plant', childId: 'pump' })
    expect(report.error).toBeInstanceOf(ChildStartError)
    expect(report.error.cause).toBe(fault)
    await sup.whenIdle()
    expect(starts).toBe(3)
    expect(sup.whichChildren()[0]).toMatchObject({ status: 'running', restarts: 2 })
  })

  it('one_for_all: a keepState member waiting out its backoff, restarted with the group, keeps its state', async () => {
    const clock = new ManualClock()
    const sup = await start({
      strategy: 'one_for_all',
      clock,
      children: [
        branchSpec({
          id: 'counter',
          branch: { logic: finishable, intensity: { maxRestarts: 0 } },
          keepState: true,
          backoff: { initialMs: 1000, jitter: 0 }
        }),
        recorded('other', [])
      ]
    })
    for (let i = 0; i < 3; i++) cast(childOf(sup, 'counter'), { type: 'inc' })
    const exited = next(sup, 'childExit')
    exits.failure(childOf(sup, 'counter'))
    await exited
    await tick()
    // Its restart waits out the backoff (the clock does not move) when the other child fails.
    expect(sup.whichChildren()[0]?.status).toBe('restarting')
    const restarted = next(sup, 'restart')
    exits.failure(childOf(sup, 'other'))
    await restarted
    expect(await call(childOf(sup, 'counter'), { type: 'get' })).toEqual({ count: 3 })
  })
})

describe('autoShutdown counts only significant children', () => {
  it('any_significant: a non-significant child exiting normally does not shut the supervisor down', async () => {
    const sup = await start({
      autoShutdown: 'any_significant',
      children: [recorded('helper', [], { restart: 'transient' }), recorded('main', [], { restart: 'transient', significant: true })]
    })
    exits.normal(childOf(sup, 'helper'))
    await sup.whenIdle()
    expect(sup.status).toBe('running')
  })

  it('any_significant: the first of two significant children to exit shuts it down', async () => {
    const sup = await start({
      autoShutdown: 'any_significant',
      children: [recorded('a', [], { restart: 'transient', significant: true }), recorded('b', [], { restart: 'transient', significant: true })]
    })
    exits.normal(childOf(sup, 'a'))
    await sup.whenIdle()
    expect(sup.status).toBe('stopped')
  })

  it('all_significant: transient significant children stay listed once exited; it stops after the last, whatever non-significant ones run', async () => {
    const sup = await start({
      autoShutdown: 'all_significant',
      children: [
        recorded('helper', []),
        recorded('a', [], { restart: 'transient', significant: true }),
        recorded('b', [], { restart: 'transient', significant: true })
      ]
    })
    exits.normal(childOf(sup, 'a'))
    await sup.whenIdle()
    expect(sup.status).toBe('running')
    expect(sup.whichChildren().map((c) => `${c.id} ${c.status}`)).toEqual(['helper running', 'a stopped', 'b running'])
    exits.normal(childOf(sup, 'b'))
    await sup.whenIdle()
    expect(sup.status).toBe('stopped')
  })

  it("a significant child under autoShutdown 'never' is refused, the error naming the option and the value", async () => {
    const error = await startSupervisor({ children: [recorded('x', [], { restart: 'transient', significant: true })] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error).toMatchObject({ option: 'x.significant' })
    expect((error as Error).message).toBe(`Option "x.significant" must be false when autoShutdown is 'never'; got boolean true.`)
  })
})
