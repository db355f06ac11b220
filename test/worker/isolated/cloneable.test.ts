import { describe, expect, it } from 'vitest'
import { UncloneableError } from '../../../src/index'
import { findUncloneable, MAX_CLONE_DEPTH } from '../../../src/worker/isolated/cloneable'

describe('findUncloneable (issue 15 item 1: no recursion over the value)', () => {
  const nested = (levels: number) => JSON.parse('['.repeat(levels) + ']'.repeat(levels)) as unknown

  it(`passes a value nested ${MAX_CLONE_DEPTH} levels deep, and names one nested deeper (up to 100,000) instead of overflowing`, () => {
    expect(findUncloneable(nested(MAX_CLONE_DEPTH), 'event')).toBeUndefined()
    for (const levels of [MAX_CLONE_DEPTH + 1, 100_000]) {
      const error = findUncloneable({ type: 'x', v: nested(levels) }, 'event')
      expect(error).toBeInstanceOf(UncloneableError)
      expect(error?.message).toContain(`nested more than ${MAX_CLONE_DEPTH} levels deep`)
    }
  })

  it('names the path of what can not cross', () => {
    expect(findUncloneable({ a: [1, { b: () => 0 }] }, 'event')?.path).toBe('event.a[1].b')
    expect(findUncloneable(new Map([['k', new Set([Symbol('s')])]]), 'state')?.path).toBe('state.get("k").<entry>')
    class Handle {}
    expect(findUncloneable({ list: [new Handle()] }, 'reply')?.message).toContain('an instance of Handle')
  })

  it('reports a getter or proxy trap that throws as UncloneableError', () => {
    const values = [
      Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('hostile getter') } }),
      { deep: [new Proxy({}, { ownKeys: () => { throw new Error('hostile ownKeys') } })] }
    ]
    for (const value of values) expect(findUncloneable(value, 'event')).toBeInstanceOf(UncloneableError)
  })
})
