import { describe, expect, it } from 'vitest'
import type { Snapshot } from 'xstate'
import { UnkeepableStateError } from '../../src/index'
import { Keeper } from '../../src/keeper/Keeper'

const snap = (context: unknown) => ({ status: 'active', output: undefined, error: undefined, context }) as Snapshot<unknown>
const hostile = () =>
  Object.defineProperty({}, 'x', {
    enumerable: true,
    get: () => {
      throw new Error('hostile getter')
    }
  })

describe('a refused state holding Maps and Sets', () => {
  it.each([
    ['a Map', (inside: unknown) => new Map([['k', inside]])],
    ['a Set', (inside: unknown) => new Set([inside])]
  ])('what a refused walk froze inside %s is walked again: the same subtree, sent again under a new root, is refused again', (_, collection) => {
    const keeper = new Keeper()
    keeper.open(1)
    keeper.accept(1, snap({ n: 1 }))
    // The walk freezes the collection and the object in it, then fails on the getter under it.
    const shared = collection({ first: { open: true }, bad: hostile() })
    expect(() => keeper.accept(1, snap({ shared }))).toThrow(UnkeepableStateError)
    expect(() => keeper.accept(1, snap({ again: shared }))).toThrow(UnkeepableStateError)
    expect(() => keeper.accept(1, snap([shared]))).toThrow(UnkeepableStateError)
    expect(keeper.state).toEqual({ n: 1 })
  })
})
