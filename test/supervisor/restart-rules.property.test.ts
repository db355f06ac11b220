import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ChildStartError,
  RestartIntensityExceeded,
  startBranch,
  startSupervisor,
  type AnyBranch,
  type RestartType,
  type StopReason,
  type Strategy,
  type Supervisor
} from '../../src/index'
import { finishable } from '../support/children'
import { ManualClock } from '../support/ManualClock'

// The supervisor's decisions against a small reference model of OTP's rules:
// restart types x exit kinds, the three strategies, the sliding intensity
// window, starts that fail (a restart stops at the first child that fails to
// start; it alone is tried again, each try one more restart), terminate and
// restart of a child, and the exit of a supervisor that gives up (shutdown).

type Exit = 'normal' | 'shutdown' | 'failure'
type ChildState = 'running' | 'stopped' | 'removed'

interface Model {
  strategy: Strategy
  types: RestartType[]
  children: ChildState[]
  starts: number[]
  /** How many of each child's next starts throw. */
  broken: number[]
  window: number[]
  now: number
  alive: boolean
  maxRestarts: number
  maxSeconds: number
}

interface Real {
  sup: Supervisor
  clock: ManualClock
  starts: number[]
  broken: number[]
  stopped: StopReason | undefined
}

function restarted(type: RestartType, exit: Exit): boolean {
  return type === 'permanent' || (type === 'transient' && exit === 'failure')
}

function applyExit(m: Model, i: number, exit: Exit): void {
  if (!restarted(m.types[i] as RestartType, exit)) {
    m.children[i] = m.types[i] === 'temporary' ? 'removed' : 'stopped'
    return
  }
  restart(m, i)
}

/** OTP's restart/2: count it; stop the strategy's group; start it in order up to the first failure, which is tried again. */
function restart(m: Model, i: number): void {
  for (;;) {
    m.window = [...m.window.filter((t) => t >= m.now - m.maxSeconds * 1000), m.now]
    if (m.window.length > m.maxRestarts) {
      m.alive = false
      m.children = m.children.map((c) => (c === 'removed' ? c : 'stopped'))
      return
    }
    const group = m.children
      .map((_, j) => j)
      .filter((j) => m.children[j] !== 'removed' && (j === i || m.strategy === 'one_for_all' || (m.strategy === 'rest_for_one' && j > i)))
    for (const j of group) if (j !== i && m.types[j] === 'temporary') m.children[j] = 'removed'
    const starting = group.filter((j) => m.children[j] !== 'removed')
    const failed = starting.findIndex((j) => start(m, j) === 'failed')
    if (failed < 0) return
    for (const later of starting.slice(failed + 1)) m.children[later] = 'stopped'
    i = starting[failed] as number
  }
}

function start(m: Model, j: number): 'started' | 'failed' {
  m.starts[j] = (m.starts[j] as number) + 1
  if ((m.broken[j] as number) > 0) {
    m.broken[j] = (m.broken[j] as number) - 1
    m.children[j] = 'stopped'
    return 'failed'
  }
  m.children[j] = 'running'
  return 'started'
}

class ExitCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly exit: Exit
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.alive && m.children[this.index] === 'running'
  }
  async run(m: Model, r: Real): Promise<void> {
    const child = r.sup.whichChildren().find((c) => c.id === `c${this.index}`)?.child as AnyBranch
    if (this.exit === 'normal') child.cast({ type: 'finish' })
    else if (this.exit === 'shutdown') await child.stop()
    else child.kill(new Error('fault'))
    await r.sup.whenIdle()
    applyExit(m, this.index, this.exit)
    compare(m, r)
  }
  toString(): string {
    return `exit(c${this.index}, ${this.exit})`
  }
}

class BreakCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly times: number
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.alive
  }
  async run(m: Model, r: Real): Promise<void> {
    m.broken[this.index] = this.times
    r.broken[this.index] = this.times
    compare(m, r)
  }
  toString(): string {
    return `break(c${this.index}, ${this.times})`
  }
}

class TerminateCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly index: number) {}
  check(m: Readonly<Model>): boolean {
    return m.alive && m.children[this.index] === 'running'
  }
  async run(m: Model, r: Real): Promise<void> {
    await r.sup.terminateChild(`c${this.index}`)
    m.children[this.index] = m.types[this.index] === 'temporary' ? 'removed' : 'stopped'
    compare(m, r)
  }
  toString(): string {
    return `terminateChild(c${this.index})`
  }
}

class RestartChildCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly index: number) {}
  check(m: Readonly<Model>): boolean {
    return m.alive && m.children[this.index] === 'stopped'
  }
  async run(m: Model, r: Real): Promise<void> {
    // restart_child starts that child alone, and counts no restart.
    const outcome = await r.sup.restartChild(`c${this.index}`).then(
      () => 'started',
      (error: unknown) => (expect(error).toBeInstanceOf(ChildStartError), 'failed')
    )
    expect(outcome).toBe(start(m, this.index))
    compare(m, r)
  }
  toString(): string {
    return `restartChild(c${this.index})`
  }
}

class AdvanceCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check(m: Readonly<Model>): boolean {
    return m.alive
  }
  async run(m: Model, r: Real): Promise<void> {
    r.clock.advance(this.ms)
    m.now += this.ms
    compare(m, r)
  }
  toString(): string {
    return `advance(${this.ms})`
  }
}

function compare(m: Model, r: Real): void {
  expect(r.sup.status).toBe(m.alive ? 'running' : 'stopped')
  // A supervisor that gave up exits with shutdown (as OTP), its cause the intensity it exceeded.
  if (!m.alive) expect(r.stopped).toMatchObject({ kind: 'shutdown', cause: expect.any(RestartIntensityExceeded) })
  const listed = new Map(r.sup.whichChildren().map((c) => [c.id, c.status]))
  m.children.forEach((state, i) => {
    expect(listed.get(`c${i}`)).toBe(state === 'removed' ? undefined : state)
  })
  expect(r.starts).toEqual(m.starts)
}

describe('restart decisions match a reference model of OTP', () => {
  it('for random restart types, strategies, intensities and exit sequences', async () => {
    const setting = fc.record({
      strategy: fc.constantFrom<Strategy>('one_for_one', 'one_for_all', 'rest_for_one'),
      types: fc.array(fc.constantFrom<RestartType>('permanent', 'transient', 'temporary'), { minLength: 3, maxLength: 3 }),
      maxRestarts: fc.integer({ min: 0, max: 4 }),
      maxSeconds: fc.integer({ min: 1, max: 3 })
    })
    const commands = fc.commands(
      [
        fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom<Exit>('normal', 'shutdown', 'failure')).map(([i, e]) => new ExitCommand(i, e)),
        fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 3 })).map(([i, n]) => new BreakCommand(i, n)),
        fc.integer({ min: 0, max: 2 }).map((i) => new TerminateCommand(i)),
        fc.integer({ min: 0, max: 2 }).map((i) => new RestartChildCommand(i)),
        fc.integer({ min: 1, max: 2500 }).map((ms) => new AdvanceCommand(ms))
      ],
      { maxCommands: 20 }
    )
    await fc.assert(
      fc.asyncProperty(setting, commands, async (s, cmds) => {
        const clock = new ManualClock()
        const starts = [0, 0, 0]
        const broken = [0, 0, 0]
        const sup = await startSupervisor({
          clock,
          strategy: s.strategy,
          maxRestarts: s.maxRestarts,
          maxSeconds: s.maxSeconds,
          children: s.types.map((restart, i) => ({
            id: `c${i}`,
            restart,
            start: async () => {
              starts[i] = (starts[i] as number) + 1
              if ((broken[i] as number) > 0) {
                broken[i] = (broken[i] as number) - 1
                throw new Error(`c${i} failed to start`)
              }
              return startBranch({ logic: finishable, intensity: { maxRestarts: 0 } })
            }
          }))
        })
        const real: Real = { sup, clock, starts, broken, stopped: undefined }
        sup.on('shutdown', () => {})
        sup.on('stop', (reason) => (real.stopped = reason))
        const model: Model = { ...s, children: ['running', 'running', 'running'], starts: [1, 1, 1], broken: [0, 0, 0], window: [], now: 0, alive: true }
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds)
        } finally {
          await sup.stop()
        }
      }),
      { numRuns: 300, seed: 20261125 }
    )
  })
})
