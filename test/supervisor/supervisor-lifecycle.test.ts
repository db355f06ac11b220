import { describe, expect, it } from 'vitest'
import {
  branchSpec,
  call,
  cast,
  ChildRunningError,
  ChildStartError,
  InvalidOptionError,
  startBranch,
  startDynamicSupervisor,
  startSupervisor,
  supervisorSpec,
  SupervisorStoppedError,
  UnknownChildError,
  type StopReason,
  type Supervised,
  type Supervisor
} from '../../src/index'
import { childOf, exits, finishable, HandMadeChild, recorded } from '../support/children'
import { deferred, next } from '../support/deferred'
import { ManualClock } from '../support/ManualClock'
import { observe } from '../../src/supervisor/observe'
import { startedForEach } from '../support/cleanup'

// The supervisor's life outside the restart rules: what it reports (counts,
// tree), starts that race a stop, children that are not what they claim,
// errors in children and handlers, idleness, and its stop.

const { start } = startedForEach(startSupervisor)
const { start: startDynamic } = startedForEach(startDynamicSupervisor)

/** A hand-made child: it stops when told to, or when `stopWith` rejects its stop. */
class Device extends HandMadeChild {
  constructor(
    readonly id: string,
    readonly stopWith?: Error
  ) {
    super()
  }
  stop(): Promise<void> {
    this.exit({ kind: 'shutdown' })
    return this.stopWith ? Promise.reject(this.stopWith) : Promise.resolve()
  }
}

const warningsOf = (): { warnings: string[]; done: () => void } => {
  const warnings: string[] = []
  const onWarning = (w: Error) => warnings.push(w.message)
  process.on('warning', onWarning)
  return { warnings, done: () => process.off('warning', onWarning) }
}
const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('what a supervisor reports', () => {
  it('counts supervisors and workers among its specs, and only running children as active (count_children)', async () => {
    const sup = await start({
      children: [recorded('w1', []), supervisorSpec({ supervisor: { id: 'inner' } }), recorded('w2', [])]
    })
    expect(sup.countChildren()).toEqual({ specs: 3, active: 3, supervisors: 1, workers: 2 })
    await sup.terminateChild('w1')
    expect(sup.countChildren()).toEqual({ specs: 3, active: 2, supervisors: 1, workers: 2 })
    expect(sup.whichChildren().map(({ id, type, restart, status }) => `${id} ${type} ${restart} ${status}`)).toEqual([
      'w1 worker permanent stopped',
      'inner supervisor permanent running',
      'w2 worker permanent running'
    ])
  })

  it('shows its tree: a branch child with its incarnation, a supervisor child with its own tree, another child by its spec', async () => {
    const root = await start({
      id: 'root',
      strategy: 'rest_for_one',
      children: [
        branchSpec({ id: 'counter', branch: { logic: finishable, intensity: { maxRestarts: 0 } } }),
        supervisorSpec({ supervisor: { id: 'inner', children: [branchSpec({ id: 'leaf', branch: { logic: finishable } })] } }),
        { id: 'device', start: () => new Device('device') }
      ]
    })
    exits.failure(childOf(root, 'counter'))
    await root.whenIdle()
    await root.whenIdle()
    const tree = root.tree()
    expect(tree).toMatchObject({
      id: 'root',
      kind: 'supervisor',
      status: 'running',
      restarts: 1,
      strategy: 'rest_for_one',
      intensity: { inWindow: 1, maxRestarts: 3, maxSeconds: 5 }
    })
    expect(tree.children).toEqual([
      { id: 'counter', kind: 'branch', status: 'running', restarts: 1, incarnation: 1 },
      {
        id: 'inner',
        kind: 'supervisor',
        status: 'running',
        restarts: 1,
        strategy: 'one_for_one',
        intensity: { inWindow: 0, maxRestarts: 3, maxSeconds: 5 },
        children: [{ id: 'leaf', kind: 'branch', status: 'running', restarts: 0, incarnation: 1 }]
      },
      { id: 'device', kind: 'worker', status: 'running', restarts: 1 }
    ])
  })

  it("a branch child's incarnation grows as its own branch restarts it", async () => {
    const sup = await start({ children: [branchSpec({ id: 'counter', branch: { logic: finishable } })] })
    const branch = childOf(sup, 'counter')
    const restarted = next(branch, 'restart')
    branch.kill(new Error('x'))
    await restarted
    expect(sup.tree().children?.[0]).toMatchObject({ kind: 'branch', restarts: 0, incarnation: 2 })
  })
})

describe('a start racing a stop', () => {
  it('a child that finishes starting after stop() began is stopped at once, and its startChild rejects', async () => {
    const sup = await startSupervisor({ id: 'racing' })
    const gate = deferred<void>()
    let started: Supervised | undefined
    const starting = sup
      .startChild({
        id: 'late',
        start: async () => {
          await gate.promise
          started = await startBranch({ logic: finishable })
          return started
        }
      })
      .catch((e: unknown) => e)
    await tick()
    const stopping = sup.stop()
    gate.resolve()
    const error = await starting
    expect(error).toBeInstanceOf(SupervisorStoppedError)
    expect(error).toMatchObject({ supervisorId: 'racing' })
    await stopping
    expect(started?.status).toBe('stopped')
    expect(sup.whichChildren()).toEqual([])
  })
})

describe('children that are not what they claim', () => {
  it('a start that returns a child already stopped: the child exited normally, and a permanent one is restarted', async () => {
    let starts = 0
    const sup = await start({
      children: [
        {
          id: 'brief',
          start: async () => {
            const branch = await startBranch({ logic: finishable })
            if (++starts === 1) await branch.stop()
            return branch
          }
        }
      ]
    })
    await sup.whenIdle()
    expect(starts).toBe(2)
    expect(sup.whichChildren()[0]).toMatchObject({ status: 'running', restarts: 1 })
  })

  it('a transient child already stopped when started is not restarted (its exit is normal)', async () => {
    const exits: StopReason[] = []
    const sup = await start({})
    sup.on('childExit', ({ reason }) => exits.push(reason))
    const branch = await sup.startChild({
      id: 'brief',
      restart: 'transient',
      start: async () => {
        const b = await startBranch({ logic: finishable })
        await b.stop()
        return b
      }
    })
    await sup.whenIdle()
    expect(branch.status).toBe('stopped')
    expect(exits).toEqual([{ kind: 'normal', output: undefined }])
    expect(sup.whichChildren()[0]).toMatchObject({ status: 'stopped', restarts: 0 })
  })

  it.each([
    ['nothing', () => undefined],
    ['an object without stop', () => ({ on() {}, off() {} })],
    ['an object without on', () => ({ stop: async () => {}, off() {} })],
    ['an object without off', () => ({ stop: async () => {}, on() {} })]
  ])('a start that returns %s fails with ChildStartError, saying what start() must return', async (_, make) => {
    const sup = await start({ id: 'picky' })
    const error = await sup.startChild({ id: 'odd', start: make as never }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ChildStartError)
    expect(error).toMatchObject({ childId: 'odd' })
    expect(((error as Error).cause as Error).message).toBe('start() must return a branch or a supervisor')
    expect(sup.whichChildren()).toEqual([])
  })
})

describe('errors in children and handlers', () => {
  it("a child whose stop rejects is reported to listenerError, and the supervisor's stop completes", async () => {
    const failure = new Error('stop failed')
    const sup = await startSupervisor({ children: [{ id: 'device', start: () => new Device('device', failure) }] })
    const reported: unknown[] = []
    sup.on('listenerError', (error) => reported.push(error))
    await sup.stop()
    expect(reported).toEqual([failure])
    expect(sup.status).toBe('stopped')
  })

  it('with no listenerError handler, it is a process warning naming the supervisor', async () => {
    const { warnings, done } = warningsOf()
    try {
      const sup = await startSupervisor({ id: 'sloppy', children: [{ id: 'device', start: () => new Device('device', new Error('stop failed')) }] })
      await sup.stop()
      await tick()
    } finally {
      done()
    }
    expect(warnings).toContain('keepsake: in supervisor "sloppy": Error: stop failed')
  })

  it('a handler that throws is reported to listenerError; the exit is still handled and the child restarted', async () => {
    const sup = await start({ children: [recorded('x', [])] })
    const reported: unknown[] = []
    const bug = new Error('handler bug')
    sup.on('listenerError', (error) => reported.push(error))
    sup.on('childExit', () => {
      throw bug
    })
    const restarted = next(sup, 'restart')
    exits.failure(childOf(sup, 'x'))
    await restarted
    expect(reported).toEqual([bug])
    expect(sup.whichChildren()[0]?.status).toBe('running')
  })

  it('a listenerError handler that throws too is swallowed', async () => {
    const sup = await start({ children: [recorded('x', [])] })
    sup.on('listenerError', () => {
      throw new Error('again')
    })
    sup.on('childExit', () => {
      throw new Error('first')
    })
    const restarted = next(sup, 'restart')
    exits.failure(childOf(sup, 'x'))
    await restarted
    expect(sup.status).toBe('running')
  })

  it('on, once and off take only functions, naming the method', async () => {
    const sup = await start({})
    for (const method of ['on', 'once', 'off'] as const) {
      let error: unknown
      try {
        ;(sup[method] as (e: string, h: unknown) => unknown)('stop', 'handler')
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(InvalidOptionError)
      expect((error as InvalidOptionError).option).toBe(`${method}(event, handler)`)
    }
  })

  it('once hears one event, off none', async () => {
    const sup = await start({ children: [recorded('x', [])] })
    let once = 0
    let removed = 0
    const handler = () => removed++
    sup.once('childExit', () => once++)
    sup.on('childExit', handler)
    sup.off('childExit', handler)
    for (let i = 0; i < 2; i++) {
      const restarted = next(sup, 'restart')
      exits.failure(childOf(sup, 'x'))
      await restarted
    }
    expect([once, removed]).toEqual([1, 0])
  })
})

describe('requests about children (OTP error tuples as typed errors)', () => {
  it('an unknown id names the supervisor and the id, a non-string one described', async () => {
    const sup = await start({ id: 'root' })
    const error = await sup.terminateChild('ghost').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnknownChildError)
    expect(error).toMatchObject({ supervisorId: 'root', childId: 'ghost' })
    const odd = await sup.terminateChild(5 as never).catch((e: unknown) => e)
    expect(odd).toMatchObject({ childId: 'number 5' })
  })

  it('restart and delete of a running child name the operation', async () => {
    const sup = await start({ id: 'root', children: [recorded('x', [])] })
    const restart = await sup.restartChild('x').catch((e: unknown) => e)
    const del = await sup.deleteChild('x').catch((e: unknown) => e)
    expect(restart).toBeInstanceOf(ChildRunningError)
    expect((restart as Error).message).toMatch(/^Cannot restart child "x" of supervisor "root"/)
    expect((del as Error).message).toMatch(/^Cannot delete child "x" of supervisor "root"/)
  })

  it("terminateChild keeps a static child's spec (restartChild brings it back), drops a temporary one's, and a dynamic child's", async () => {
    const log: string[] = []
    const sup = await start({ children: [recorded('kept', log), recorded('temp', log, { restart: 'temporary' })] })
    await sup.terminateChild('kept')
    await sup.terminateChild('temp')
    expect(sup.whichChildren().map((c) => `${c.id} ${c.status}`)).toEqual(['kept stopped'])
    await sup.restartChild('kept')
    expect(sup.whichChildren().map((c) => `${c.id} ${c.status}`)).toEqual(['kept running'])

    const pool = await startDynamic({})
    await pool.startChild(recorded('d', log))
    await pool.terminateChild('d')
    expect(pool.whichChildren()).toEqual([])
  })

  it('deleteChild forgets a stopped child: its id can be used again', async () => {
    const sup = await start({ children: [recorded('x', [])] })
    await sup.terminateChild('x')
    await sup.deleteChild('x')
    expect(sup.whichChildren()).toEqual([])
    await sup.startChild(recorded('x', []))
    expect(sup.countChildren()).toMatchObject({ specs: 1, active: 1 })
  })

  it('a dynamic child without an id gets child-N, different each time', async () => {
    const pool = await startDynamic({})
    const a = await pool.startChild({ start: () => startBranch({ logic: finishable }) })
    const b = await pool.startChild({ start: () => startBranch({ logic: finishable }) })
    const ids = pool.whichChildren().map((c) => c.id)
    expect(ids).toHaveLength(2)
    for (const id of ids) expect(id).toMatch(/^child-\d+$/)
    expect(ids[0]).not.toBe(ids[1])
    expect([a.status, b.status]).toEqual(['running', 'running'])
  })

  it('every request to a stopped supervisor is refused with SupervisorStoppedError', async () => {
    const sup = await startSupervisor({ id: 'gone', children: [recorded('x', [])] })
    await sup.stop()
    for (const request of [() => sup.terminateChild('x'), () => sup.restartChild('x'), () => sup.deleteChild('x')]) {
      await expect(request()).rejects.toBeInstanceOf(SupervisorStoppedError)
    }
    expect(sup.whichChildren().map((c) => `${c.id} ${c.status}`)).toEqual(['x stopped'])
  })
})

describe('idleness', () => {
  it('whenIdle waits for a restart pending on its backoff; cancelling it (terminateChild) makes it idle', async () => {
    const clock = new ManualClock()
    const sup = await start({ clock, children: [recorded('x', [], { backoff: { initialMs: 100, maxMs: 100, jitter: 0 } })] })
    await sup.whenIdle()
    const exited = next(sup, 'childExit')
    exits.failure(childOf(sup, 'x'))
    await exited
    let idle = false
    void sup.whenIdle().then(() => (idle = true))
    await tick()
    expect(idle).toBe(false)
    await sup.terminateChild('x')
    await tick()
    expect(idle).toBe(true)
    expect(clock.pending).toBe(0)
  })

  it('whenIdle waits for a restart pending on its backoff until it ran', async () => {
    const clock = new ManualClock()
    const sup = await start({ clock, children: [recorded('x', [], { backoff: { initialMs: 100, maxMs: 100, jitter: 0 } })] })
    const exited = next(sup, 'childExit')
    exits.failure(childOf(sup, 'x'))
    await exited
    let idle = false
    const idling = sup.whenIdle().then(() => (idle = true))
    clock.advance(99)
    await tick()
    expect(idle).toBe(false)
    clock.advance(1)
    await idling
    expect(sup.whichChildren()[0]).toMatchObject({ status: 'running', restarts: 1 })
  })
})

describe('stopping', () => {
  it("stop({ timeout }) bounds the whole: a child with shutdown 'infinity' that does not stop is cut off then", async () => {
    const clock = new ManualClock()
    const hung = { ...new Device('hung'), id: 'hung' }
    let stoppedAtOnce = false
    const child: Supervised = {
      id: 'hung',
      get status() {
        return stoppedAtOnce ? 'stopped' : 'running'
      },
      stop: (options) => {
        if (options?.timeout === 0) stoppedAtOnce = true
        return options?.timeout === 0 ? Promise.resolve() : new Promise(() => {})
      },
      on: () => hung,
      off: () => hung
    }
    const sup = await startSupervisor({ clock, children: [{ id: 'hung', start: () => child, shutdown: 'infinity' }] })
    const cutOff: string[] = []
    sup.on('cutOff', ({ childId }) => cutOff.push(childId))
    let stopped = false
    const stopping = sup.stop({ timeout: 100 }).then(() => (stopped = true))
    await tick()
    // Only the stop's own deadline is on the clock: a child with shutdown 'infinity' arms no timer.
    expect(clock.pending).toBe(1)
    clock.advance(99)
    await tick()
    expect(stopped).toBe(false)
    clock.advance(1)
    await stopping
    expect(cutOff).toEqual(['hung'])
    expect(stoppedAtOnce).toBe(true)
    expect(clock.pending).toBe(0)
  })

  it('stop() is idempotent: a second stop waits for the same shutdown, and stop is emitted once', async () => {
    const sup = await startSupervisor({ children: [recorded('x', [])] })
    let stops = 0
    sup.on('stop', () => stops++)
    await Promise.all([sup.stop(), sup.stop()])
    await sup.stop()
    expect(stops).toBe(1)
  })

  it('a stop asked for by the user is a shutdown, emitted as stop only (no shutdown event, no warning)', async () => {
    const sup = await startSupervisor({ children: [recorded('x', [])] })
    const events: string[] = []
    sup.on('shutdown', () => events.push('shutdown'))
    sup.on('stop', (reason) => events.push(`stop ${reason.kind}`))
    await sup.stop()
    expect(events).toEqual(['stop shutdown'])
  })

  it('handlers are dropped once stopped', async () => {
    const sup = await startSupervisor({})
    const seen: string[] = []
    sup.on('stop', () => seen.push('stop'))
    await sup.stop()
    sup.on('stop', () => seen.push('late'))
    await sup.stop()
    expect(seen).toEqual(['stop'])
  })
})

describe('keepState across a group restart', () => {
  it("one_for_all: a keepState bystander restarted with the group keeps its state", async () => {
    const sup = await start({
      strategy: 'one_for_all',
      children: [
        branchSpec({ id: 'kept', branch: { logic: finishable, intensity: { maxRestarts: 0 } }, keepState: true }),
        recorded('failing', [])
      ]
    })
    cast(childOf(sup, 'kept'), { type: 'inc' })
    cast(childOf(sup, 'kept'), { type: 'inc' })
    const restarted = new Promise<void>((resolve) => sup.on('restart', ({ childId }) => childId === 'failing' && resolve()))
    exits.failure(childOf(sup, 'failing'))
    await restarted
    expect(await call(childOf(sup, 'kept'), { type: 'get' })).toEqual({ count: 2 })
    expect(sup.whichChildren().map((c) => c.restarts)).toEqual([1, 1])
  })
})

describe('a restart pending when a request comes', () => {
  it('terminateChild queued right after an exit cancels the restart (it comes first in the mailbox)', async () => {
    const log: string[] = []
    const sup = await start({ children: [recorded('x', log)] })
    const terminated = new Promise<void>((resolve) => sup.once('childExit', () => resolve(sup.terminateChild('x'))))
    exits.failure(childOf(sup, 'x'))
    await terminated
    let idle = false
    void sup.whenIdle().then(() => (idle = true))
    await tick()
    expect(idle).toBe(true)
    expect(sup.whichChildren().map((c) => `${c.id} ${c.status} ${c.restarts}`)).toEqual(['x stopped 0'])
    expect(log).toEqual(['start x', 'stop x'])
  })

  it('a stop queued right after an exit: the child is not restarted, and the supervisor is idle once stopped', async () => {
    const log: string[] = []
    const sup = await startSupervisor({ children: [recorded('x', log)] })
    const stopped = new Promise<void>((resolve) => sup.once('childExit', () => resolve(sup.stop())))
    exits.failure(childOf(sup, 'x'))
    await stopped
    await sup.whenIdle()
    await tick()
    expect(log).toEqual(['start x', 'stop x'])
  })
})

describe('giving up', () => {
  async function givingUp(listen: (sup: Supervisor) => void): Promise<string[]> {
    const { warnings, done } = warningsOf()
    try {
      const sup = await startSupervisor({ id: 'fragile', maxRestarts: 0, children: [recorded('x', [])] })
      listen(sup)
      const stopped = new Promise<void>((resolve) => {
        const poll = () => (sup.status === 'stopped' ? resolve() : setImmediate(poll))
        poll()
      })
      exits.failure(childOf(sup, 'x'))
      await stopped
      await tick()
    } finally {
      done()
    }
    return warnings.filter((w) => w.includes('fragile'))
  }

  it('unheard (no stop or shutdown handler), a give-up is a process warning with its cause', async () => {
    const warnings = await givingUp(() => {})
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^keepsake: supervisor "fragile" shut down: "fragile" needed more than 0 restarts within 5 s/)
  })

  it("heard by a stop handler or a shutdown handler, it is not a warning; the shutdown event carries the cause", async () => {
    expect(await givingUp((sup) => sup.on('stop', () => {}))).toEqual([])
    let announced: StopReason | undefined
    expect(await givingUp((sup) => sup.on('shutdown', (reason) => (announced = reason)))).toEqual([])
    expect(announced).toMatchObject({ kind: 'shutdown', cause: { code: 'RESTART_INTENSITY_EXCEEDED' } })
  })
})

describe('requests and exits in mailbox order (a gen_server handles one message at a time)', () => {
  it("a terminateChild queued before a restart's retry came due wins: the child stays down", async () => {
    const clock = new ManualClock()
    const log: string[] = []
    const sup = await start({ clock, children: [recorded('x', log, { backoff: { initialMs: 100, maxMs: 100, jitter: 0 } })] })
    const exited = next(sup, 'childExit')
    exits.failure(childOf(sup, 'x'))
    await exited
    // The mailbox is busy with a slow start; the terminate queues behind it, then the retry comes due.
    const gate = deferred<void>()
    const slow = sup.startChild({ id: 'slow', start: async () => (await gate.promise, startBranch({ logic: finishable })) })
    const terminated = sup.terminateChild('x')
    clock.advance(100)
    gate.resolve()
    await Promise.all([slow, terminated])
    await sup.whenIdle()
    expect(sup.whichChildren().map((c) => `${c.id} ${c.status} ${c.restarts}`)).toEqual(['x stopped 0', 'slow running 0'])
    expect(log).toEqual(['start x', 'stop x'])
  })

  it('an exit that reaches the supervisor once it is stopping is neither reported nor restarted', async () => {
    const log: string[] = []
    const sup = await startSupervisor({ children: [recorded('a', log), recorded('b', log)] })
    const exitsSeen: string[] = []
    sup.on('childExit', ({ childId }) => exitsSeen.push(childId))
    exits.failure(childOf(sup, 'a'))
    await sup.stop()
    expect(exitsSeen).toEqual([])
    expect(log.filter((e) => e.startsWith('start'))).toEqual(['start a', 'start b'])
  })
})

describe('a supervisor whose initial start fails', () => {
  it('never existed for observers: no stop is emitted for it, and its started children are stopped', async () => {
    const seen: string[] = []
    const remove = observe({ supervisorEvent: (sup, signal) => seen.push(`${sup.id} ${signal.event}`) })
    const log: string[] = []
    try {
      const failing = { id: 'bad', start: () => Promise.reject(new Error('no device')) }
      const error = await startSupervisor({ id: 'stillborn', children: [recorded('a', log), failing] }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ChildStartError)
    } finally {
      remove()
    }
    expect(seen.filter((line) => line.startsWith('stillborn'))).toEqual([])
    expect(log).toEqual(['start a', 'stop a'])
  })
})

describe('a group restart in progress', () => {
  it('lists the members not yet started again as restarting (OTP which_children), and only then running', async () => {
    const gate = deferred<void>()
    let gated = false
    const sup = await start({
      strategy: 'one_for_all',
      children: [
        recorded('a', []),
        {
          id: 'b',
          start: async () => {
            if (gated) await gate.promise
            return startBranch({ logic: finishable, intensity: { maxRestarts: 0 } })
          }
        },
        recorded('c', [])
      ]
    })
    gated = true
    const aRestarted = next(sup, 'restart')
    exits.failure(childOf(sup, 'a'))
    await aRestarted
    expect(sup.whichChildren().map((c) => `${c.id} ${c.status}`)).toEqual(['a running', 'b restarting', 'c restarting'])
    expect(sup.countChildren().active).toBe(1)
    gate.resolve()
    await sup.whenIdle()
    expect(sup.whichChildren().map((c) => `${c.id} ${c.status}`)).toEqual(['a running', 'b running', 'c running'])
  })

  it('a stop begun between two starts of the group starts no more of it', async () => {
    const log: string[] = []
    const sup = await startSupervisor({ strategy: 'one_for_all', children: [recorded('a', log), recorded('b', log)] })
    let stopping: Promise<void> | undefined
    sup.once('restart', () => (stopping = sup.stop()))
    const failed: string[] = []
    sup.on('restartFailed', ({ childId }) => failed.push(childId))
    log.length = 0
    exits.failure(childOf(sup, 'a'))
    await new Promise<void>((resolve) => {
      const poll = () => (stopping ? resolve() : setImmediate(poll))
      poll()
    })
    await stopping
    expect(log).toEqual(['stop a', 'stop b', 'start a', 'stop a'])
    expect(failed).toEqual([])
  })
})

describe('stop options', () => {
  it('a bounded stop that finishes in time leaves no timer behind', async () => {
    const clock = new ManualClock()
    const sup = await startSupervisor({ clock, children: [recorded('x', [])] })
    await sup.stop({ timeout: 1000 })
    expect(clock.pending).toBe(0)
  })

  it('are checked, naming the option', async () => {
    const sup = await start({})
    expect(() => sup.stop('soon' as never)).toThrow(InvalidOptionError)
    let error: unknown
    try {
      void sup.stop({ timeout: -1 })
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ option: 'timeout' })
    let notAnObject: unknown
    try {
      void sup.stop(5 as never)
    } catch (e) {
      notAnObject = e
    }
    expect(notAnObject).toMatchObject({ option: 'stop options' })
  })
})

