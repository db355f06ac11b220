import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { startBranch, startSupervisor, type AnyBranch, type RestartType, type Strategy, type Supervisor } from '../../src/index'
import { finishable } from '../support/children'
import { ManualClock } from '../support/ManualClock'

// The supervisor's decisions against a small reference model of OTP's rules:
// restart types x exit kinds, the three strategies, and the sliding intensity window.

type Exit = 'normal' | 'shutdown' | 'failure'
type ChildState = 'running' | 'stopped' | 'removed'

interface Model {
  strategy: Strategy
  types: RestartType[]
  children: ChildState[]
  starts: number[]
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
}

function restarted(type: RestartType, exit: Exit): boolean {
  return type === 'permanent' || (type === 'transient' && exit === 'failure')
}

function applyExit(m: Model, i: number, exit: Exit): void {
  if (!restarted(m.types[i] as RestartType, exit)) {
    m.children[i] = m.types[i] === 'temporary' ? 'removed' : 'stopped'
    return
  }
  m.window = [...m.window.filter((t) => t >= m.now - m.maxSeconds * 1000), m.now]
  if (m.window.length > m.maxRestarts) {
    m.alive = false
    m.children = m.children.map((c) => (c === 'removed' ? c : 'stopped'))
    return
  }
  const affected = m.children.map((c, j) => {
    if (j === i) return true
    if (c === 'removed') return false
    return m.strategy === 'one_for_all' || (m.strategy === 'rest_for_one' && j > i)
  })
  m.children.forEach((_, j) => {
    if (!affected[j]) return
    if (j !== i && m.types[j] === 'temporary') m.children[j] = 'removed'
    else {
      m.children[j] = 'running'
      m.starts[j] = (m.starts[j] as number) + 1
    }
  })
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
        fc.integer({ min: 1, max: 2500 }).map((ms) => new AdvanceCommand(ms))
      ],
      { maxCommands: 15 }
    )
    await fc.assert(
      fc.asyncProperty(setting, commands, async (s, cmds) => {
        const clock = new ManualClock()
        const starts = [0, 0, 0]
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
              return startBranch({ logic: finishable, restart: { maxRestarts: 0 } })
            }
          }))
        })
        sup.on('shutdown', () => {})
        const model: Model = { ...s, children: ['running', 'running', 'running'], starts: [1, 1, 1], window: [], now: 0, alive: true }
        try {
          await fc.asyncModelRun(() => ({ model, real: { sup, clock, starts } }), cmds)
        } finally {
          await sup.stop()
        }
      }),
      { numRuns: 300, seed: 20261125 }
    )
  })
})
