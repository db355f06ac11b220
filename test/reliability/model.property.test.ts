import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { branchSpec, call, cast, startSupervisor, transfer, whereis, type Strategy, type Supervisor } from '../../src/index'
import { counterReducer } from '../support/logics'

// Random sequences of start / call / cast / kill / stop / restart-child /
// delete / transfer, against a reference model of what each branch must hold.
// Each pool has a random strategy. n0 and n1 absorb a kill (their branch
// restarts the worker with its state); n2 and n3 give up at once, so a kill
// is an exit to their pool, which restarts its strategy's group from the spec
// (in start order; a transfer moves a branch to the end of its new pool).

type Pool = 'a' | 'b'
interface Entry {
  pool: Pool
  count: number
  status: 'running' | 'stopped'
}
type Model = Map<string, Entry>
interface Real {
  pools: Record<Pool, Supervisor>
  strategies: Strategies
}
/** Those that give up at their first crash (`intensity: { maxRestarts: 0 }`). */
const fragile = new Set(['n2', 'n3'])
type Cmd = fc.AsyncCommand<Model, Real>
type Strategies = Record<Pool, Strategy>

/** The branches a pool restarts when `name` exits: its strategy's group, in start order (the model's order). */
function group(m: Model, strategies: Strategies, name: string): string[] {
  const { pool } = m.get(name) as Entry
  const siblings = [...m.keys()].filter((n) => m.get(n)?.pool === pool)
  switch (strategies[pool]) {
    case 'one_for_one':
      return [name]
    case 'one_for_all':
      return siblings
    case 'rest_for_one':
      return siblings.slice(siblings.indexOf(name))
  }
}

const names = ['n0', 'n1', 'n2', 'n3']
const other = (p: Pool): Pool => (p === 'a' ? 'b' : 'a')
const is = (name: string, status: Entry['status'] | 'absent') => (m: Readonly<Model>) =>
  status === 'absent' ? !m.has(name) : m.get(name)?.status === status

function command(label: string, check: (m: Readonly<Model>) => boolean, run: (m: Model, r: Real) => Promise<void>): Cmd {
  return {
    check,
    run: async (m, r) => {
      await run(m, r)
      await observe(m, r)
    },
    toString: () => label
  }
}

async function observe(m: Model, r: Real): Promise<void> {
  for (const pool of ['a', 'b'] as const) {
    const listed = r.pools[pool].whichChildren().map((c) => [c.id, c.status])
    const modelled = [...m].filter(([, e]) => e.pool === pool).map(([name, e]) => [name, e.status])
    expect(listed.sort()).toEqual(modelled.sort())
  }
  for (const [name, entry] of m) {
    if (entry.status === 'running') expect(await call(name, { type: 'get' })).toBe(entry.count)
    else expect(whereis(name)).toBeUndefined()
  }
}

const commands = [
  fc.tuple(fc.constantFrom(...names), fc.constantFrom<Pool>('a', 'b')).map(([name, pool]) =>
    command(`start(${name}, ${pool})`, is(name, 'absent'), async (m, r) => {
      const restart = fragile.has(name) ? { intensity: { maxRestarts: 0 } } : {}
      await r.pools[pool].startChild(branchSpec({ branch: { logic: counterReducer, name, ...restart } }))
      m.set(name, { pool, count: 0, status: 'running' })
    })
  ),
  fc.constantFrom(...names).map((name) =>
    command(`call(${name})`, is(name, 'running'), async (m) => {
      const entry = m.get(name) as Entry
      expect(await call(name, { type: 'inc' })).toBe(++entry.count)
    })
  ),
  fc.constantFrom(...names).map((name) =>
    command(`cast(${name})`, is(name, 'running'), async (m) => {
      cast(name, { type: 'inc' })
      ;(m.get(name) as Entry).count++
    })
  ),
  fc.constantFrom(...names).map((name) =>
    command(`kill(${name})`, is(name, 'running'), async (m, r) => {
      const { pool } = m.get(name) as Entry
      whereis(name)?.kill()
      await r.pools[pool].whenIdle()
      if (!fragile.has(name)) return
      // Restarted from the spec: the initial state (no keepState).
      for (const restarted of group(m, r.strategies, name)) Object.assign(m.get(restarted) as Entry, { status: 'running', count: 0 })
    })
  ),
  fc.constantFrom(...names).map((name) =>
    command(`terminateChild(${name})`, is(name, 'running'), async (m, r) => {
      const entry = m.get(name) as Entry
      await r.pools[entry.pool].terminateChild(name)
      entry.status = 'stopped'
    })
  ),
  fc.constantFrom(...names).map((name) =>
    command(`restartChild(${name})`, is(name, 'stopped'), async (m, r) => {
      const entry = m.get(name) as Entry
      await r.pools[entry.pool].restartChild(name)
      entry.status = 'running'
      entry.count = 0 // a restart from the spec starts from the initial state
    })
  ),
  fc.constantFrom(...names).map((name) =>
    command(`deleteChild(${name})`, is(name, 'stopped'), async (m, r) => {
      await r.pools[(m.get(name) as Entry).pool].deleteChild(name)
      m.delete(name)
    })
  ),
  fc.constantFrom(...names).map((name) =>
    command(`transfer(${name})`, is(name, 'running'), async (m, r) => {
      const entry = m.get(name) as Entry
      await transfer(name, r.pools[entry.pool], r.pools[other(entry.pool)])
      entry.pool = other(entry.pool)
      m.delete(name)
      m.set(name, entry)
    })
  )
]

const strategy = fc.constantFrom<Strategy>('one_for_one', 'one_for_all', 'rest_for_one')
const strategies = fc.record({ a: strategy, b: strategy })

describe('model-based: the library against a reference model', () => {
  it('start / call / cast / kill / stop / restart-child / delete / transfer keep what the model says', async () => {
    await fc.assert(
      fc.asyncProperty(strategies, fc.commands(commands, { maxCommands: 60, size: 'max' }), async (chosen, cmds) => {
        const options = { maxRestarts: 1000, maxSeconds: 1 }
        const pools = { a: await startSupervisor({ id: 'a', strategy: chosen.a, ...options }), b: await startSupervisor({ id: 'b', strategy: chosen.b, ...options }) }
        try {
          await fc.asyncModelRun(() => ({ model: new Map(), real: { pools, strategies: chosen } }), cmds)
        } finally {
          await Promise.all([pools.a.stop(), pools.b.stop()])
        }
      }),
      { numRuns: 150, seed: 7 }
    )
  })
})
