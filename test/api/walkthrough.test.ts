import { describe, expect, it } from 'vitest'
import { call, cast, send, startBranch, type AnyBranch, type BranchOptions, type Isolation } from '../../src/index'
import { counterMachine, counterReducer } from '../support/logics'
import { stoppedAfterEach } from '../support/cleanup'
import { logicModule } from '../worker/isolated/support'

const started = stoppedAfterEach<AnyBranch>()

const logics = { counterReducer, counterMachine } as const

// Peeper's README example, step by step, for a reducer (a call with no reply
// resolves with the state) and for a machine (which replies the count); with
// the worker in this thread (the logic given as is), and in a worker thread
// and a child process (the same logic named by module). Two steps read the
// worker actor itself, which only exists in this thread: they are taken where
// it is, and every other step is the same in each mode.
describe.each([
  ['in this thread', 'none', false],
  ['in this thread, named by module', 'none', true],
  ['in a worker thread', 'thread', true],
  ['in a child process', 'process', true]
] as const satisfies readonly (readonly [string, Isolation, boolean])[])('Peeper walk-through, the worker %s', (_, isolation, byModule) => {
  describe.each([
    ['a fromTransition reducer', 'counterReducer', (s: unknown) => s],
    ['a machine', 'counterMachine', (s: unknown) => (s as { count: number }).count]
  ] as const)('with %s', (__, name, count) => {
    it('keeps the count across a kill, reached by name and by handle', async () => {
      const logic = byModule ? logicModule(name) : logics[name]
      const branch = await startBranch({ logic, name: 'Counter', isolation } as BranchOptions<typeof counterMachine>)
      started.push(branch)
      const local = isolation === 'none'

      expect(await call('Counter', { type: 'get' })).toBe(0)
      cast(branch, { type: 'inc' })
      if (local) expect(count(branch.worker()?.getSnapshot().context)).toBe(1)
      expect(await call('Counter', { type: 'get' })).toBe(1)

      const before = branch.worker()
      branch.kill()
      if (local) expect(branch.worker()).not.toBe(before)
      expect(branch.children()).toEqual([
        { id: 'keeper', status: 'running' },
        { id: 'worker', status: 'running', incarnation: 2, restarts: 1 }
      ])
      expect(await call('Counter', { type: 'get' })).toBe(1)

      expect(send(branch, { type: 'inc' })).toEqual({ type: 'inc' })
      expect(await call('Counter', { type: 'get' })).toBe(2)
    })
  })
})
