import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, InvalidOptionError, startBranch } from '../../src/index'

// The reentrant option is checked even on a call from outside any worker, where it has nothing to allow.

describe('the reentrant option', () => {
  it('must be a boolean, naming the option and what it must be', async () => {
    const branch = await startBranch({ logic: fromTransition((n: number) => n + 1, 0) })
    try {
      const error = (await call(branch, { type: 'x' }, { reentrant: 'yes' as never }).catch((e: unknown) => e)) as InvalidOptionError
      expect(error).toBeInstanceOf(InvalidOptionError)
      expect(error.option).toBe('reentrant')
      expect(error.message).toMatch(/must be a boolean/)
      expect(await call(branch, { type: 'x' }, { reentrant: true })).toBe(1)
    } finally {
      await branch.stop()
    }
  })
})
