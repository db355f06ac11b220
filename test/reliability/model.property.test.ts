import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { branchSpec, call, cast, startSupervisor, transfer, whereis, type Supervisor } from '../../src/index'
import { counterReducer } from '../support/logics'

// Random sequences of start / call / cast / kill / stop / restart-child /
// delete / transfer, against a reference model of what each branch must hold.

type Pool = 'a' | 'b'
interface Entry {
  pool: Pool
  count: number
  status: 'running' | 'stopped'
}
type Model = Map<string, Entry>
interface Real {
  pools: Record<Pool, Supervisor>
}
type Cmd = fc.AsyncCommand<Model, Real>

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
      await r.pools[pool].startChild(branchSpec({ branch: { logic: counterReducer, name } }))
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
    command(`kill(${name})`, is(name, 'running'), async () => {
      whereis(name)?.kill()
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
    })
  )
]

describe('model-based: the library against a reference model', () => {
  it('start / call / cast / kill / stop / restart-child / delete / transfer keep what the model says', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60, size: "max" }), async (cmds) => {
        const options = { maxRestarts: 1000, maxSeconds: 1 }
        const pools = { a: await startSupervisor({ id: 'a', ...options }), b: await startSupervisor({ id: 'b', ...options }) }
        try {
          await fc.asyncModelRun(() => ({ model: new Map(), real: { pools } }), cmds)
        } finally {
          await Promise.all([pools.a.stop(), pools.b.stop()])
        }
      }),
      { numRuns: 150, seed: 7 }
    )
  })
})
