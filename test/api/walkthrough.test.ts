import { describe, expect, it } from 'vitest'
import { call, cast, send, startBranch, type AnyBranch } from '../../src/index'
import { counterMachine, counterReducer } from '../support/logics'
import { stoppedAfterEach } from '../support/cleanup'

const started = stoppedAfterEach<AnyBranch>()

// Peeper's README example, step by step, for a reducer (a call with no reply
// resolves with the state) and for a machine (which replies the count).
describe.each([
  ['a fromTransition reducer', counterReducer, (s: unknown) => s],
  ['a machine', counterMachine, (s: unknown) => (s as { count: number }).count]
] as const)('Peeper walk-through with %s', (_, logic, count) => {
  it('keeps the count across a kill, reached by name and by handle', async () => {
    const branch = await startBranch({ logic, name: 'Counter' })
    started.push(branch)

    expect(await call('Counter', { type: 'get' })).toBe(0)
    cast(branch, { type: 'inc' })
    expect(count(branch.worker()?.getSnapshot().context)).toBe(1)
    expect(await call('Counter', { type: 'get' })).toBe(1)

    const before = branch.worker()
    branch.kill()
    expect(branch.worker()).not.toBe(before)
    expect(branch.children()).toEqual([
      { id: 'keeper', status: 'running' },
      { id: 'worker', status: 'running', incarnation: 2, restarts: 1 }
    ])
    expect(await call('Counter', { type: 'get' })).toBe(1)

    expect(send(branch, { type: 'inc' })).toEqual({ type: 'inc' })
    expect(await call('Counter', { type: 'get' })).toBe(2)
  })
})
