import { describe, expect, it, vi } from 'vitest'
import { fromTransition } from 'xstate'
import { Branch } from '../../src/supervisor/Branch'
import { call, cast, type AnyBranch } from '../../src/index'

// Two copies of keepsake in one process (an ESM and a CJS consumer, or two versions in node_modules):
// a branch one copy started is a target of the other's messaging functions (its own branches are told
// by a private field, which another copy's lack; the shared brand tells the rest).

const counter = fromTransition((n: number, e: { type: 'inc' } | { type: 'get' }) => (e.type === 'inc' ? n + 1 : n), 0)

describe("another copy's branch", () => {
  it("is a target of this copy's call and cast", async () => {
    vi.resetModules()
    const other = (await import('../../src/index')) as typeof import('../../src/index')
    const branch: AnyBranch = await other.startBranch({ logic: counter })
    expect(Branch._isOwn(branch)).toBe(false) // really another copy's
    try {
      cast(branch, { type: 'inc' })
      expect(await call(branch, { type: 'get' })).toBe(1)
    } finally {
      await branch.stop()
    }
  })
})
