import { describe, expect, it } from 'vitest'
import { call, cast, send, startBranch, type AnyBranch, type Isolation } from '../../../src/index'
import { stoppedAfterEach } from '../../support/cleanup'
import { logicModule } from './support'

const started = stoppedAfterEach<AnyBranch>()

// test/api/walkthrough.test.ts (Peeper's README example), step by step, with
// the logic named by module and the worker in each place it can run. One step
// can't be taken across a border: reading the worker actor's own snapshot
// synchronously right after a cast (an isolated actor is in another thread);
// there it is checked through the next call instead.
describe.each(['none', 'thread', 'process'] as const satisfies readonly Isolation[])('Peeper walk-through with isolation %s', (isolation) => {
  describe.each([
    ['a fromTransition reducer', 'counterReducer'],
    ['a machine', 'counterMachine']
  ] as const)('and %s', (_, name) => {
    it('keeps the count across a kill, reached by name and by handle', async () => {
      const branch = await startBranch({ logic: logicModule(name), name: 'Counter', isolation })
      started.push(branch)

      expect(await call('Counter', { type: 'get' })).toBe(0)
      cast(branch, { type: 'inc' })
      if (isolation === 'none') {
        const count = (s: unknown) => (name === 'counterMachine' ? (s as { count: number }).count : s)
        expect(count(branch.worker()?.getSnapshot().context)).toBe(1)
      }
      expect(await call('Counter', { type: 'get' })).toBe(1)

      const before = branch.worker()
      branch.kill()
      if (isolation === 'none') expect(branch.worker()).not.toBe(before)
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
