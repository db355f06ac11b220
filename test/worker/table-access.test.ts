import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, InvalidOptionError, NotInBranchError, startBranch, table, type AnyBranch } from '../../src/index'
import { stoppedAfterEach } from '../support/cleanup'

// `table()` refuses what can't name a table, and anything that is not an
// actor of a live incarnation, whatever its `system` is, with typed errors
// that say what to pass instead.

const started = stoppedAfterEach<AnyBranch>()

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

describe('table()', () => {
  it('refuses a name that is not a non-empty string, naming the option', async () => {
    const branch = await startBranch({ logic: fromTransition((n: number) => n, 0) })
    started.push(branch)
    const self = branch.worker()!
    for (const name of ['', 42, undefined]) {
      const error = thrown(() => table(self, name as string))
      expect(error).toBeInstanceOf(InvalidOptionError)
      expect((error as InvalidOptionError).option).toBe('name')
      expect((error as Error).message).toContain('must be a non-empty string')
    }
    expect(table(self, 'x')).toBe(table(self, 'x'))
  })

  it('refuses a scope whose system is no incarnation of a branch, telling how to call it', () => {
    for (const scope of [{}, { system: 'sys' }, { system: null }, { system: {} }, null]) {
      const error = thrown(() => table(scope as { system?: unknown }, 'cache'))
      expect(error).toBeInstanceOf(NotInBranchError)
      expect((error as Error).message).toContain("table() can only be used from inside a branch's worker")
    }
  })

  it('gives each name its own table, shared by the incarnation', async () => {
    const logic = fromTransition((n: number, _e: { type: 'get' }, { self }) => {
      table<string, number>(self, 'a').set('k', 1)
      return table(self, 'b').size + n
    }, 0)
    const branch = await startBranch({ logic })
    started.push(branch)
    expect(await call(branch, { type: 'get' })).toBe(0)
    expect(table(branch.worker()!, 'a').get('k')).toBe(1)
  })
})
