import { describe, expect, it } from 'vitest'
import type { Snapshot } from 'xstate'
import { UnkeepableStateError } from '../../src/index'
import { Keeper } from '../../src/keeper/Keeper'

const snap = (context: unknown) => ({ status: 'active', output: undefined, error: undefined, context }) as Snapshot<unknown>

describe('Keeper', () => {
  it('accepts a state only from the incarnation it was opened for', () => {
    const keeper = new Keeper()
    keeper.open(1)
    expect(keeper.accept(1, snap({ n: 1 }))).toBe(true)
    expect(keeper.accept(2, snap({ n: 2 }))).toBe(false)
    expect(keeper.state).toEqual({ n: 1 })
  })

  it('ignores a late push from a dead incarnation after the next one was opened', () => {
    const keeper = new Keeper()
    keeper.open(1)
    keeper.accept(1, snap({ n: 1 }))
    keeper.close()
    expect(keeper.accept(1, snap({ n: 99 }))).toBe(false)
    keeper.open(2)
    keeper.accept(2, snap({ n: 2 }))
    expect(keeper.accept(1, snap({ n: 99 }))).toBe(false)
    expect(keeper.state).toEqual({ n: 2 })
  })

  it('freezes what it keeps, deeply, so it cannot be mutated behind its back', () => {
    const keeper = new Keeper()
    keeper.open(1)
    const context = { list: [{ a: 1 }], map: new Map([['k', 1]]) }
    keeper.accept(1, snap(context))
    expect(Object.isFrozen(context)).toBe(true)
    expect(Object.isFrozen(context.list[0])).toBe(true)
    expect(() => {
      ;(context.list as { a: number }[]).push({ a: 2 })
    }).toThrow(TypeError)
    expect(() => context.map.set('k', 2)).toThrow()
  })

  it('keeps tables across incarnations', () => {
    const keeper = new Keeper()
    keeper.tables.table('t').set('k', 1)
    keeper.open(2)
    expect(keeper.tables.table('t').get('k')).toBe(1)
    expect(keeper.tables.names()).toEqual(['t'])
  })

  it('issue 15 item 1: freezes a state nested 100,000 levels deep whole, without recursion', () => {
    const keeper = new Keeper()
    keeper.open(1)
    const context = { deep: JSON.parse('['.repeat(100_000) + '{"leaf":[1]}' + ']'.repeat(100_000)) as unknown }
    expect(keeper.accept(1, snap(context))).toBe(true)
    let node: unknown = context.deep
    let levels = 0
    let unfrozen = 0
    for (; Array.isArray(node); levels++) {
      if (!Object.isFrozen(node)) unfrozen++
      node = node[0]
    }
    expect({ levels, unfrozen }).toEqual({ levels: 100_000, unfrozen: 0 })
    expect(Object.isFrozen((node as { leaf: number[] }).leaf)).toBe(true)
  })

  it('freezes cycles, Maps and Sets with the values they hold', () => {
    const keeper = new Keeper()
    keeper.open(1)
    const inner = { n: 1 }
    const cyclic: Record<string, unknown> = { inner }
    cyclic.self = cyclic
    const context = { cyclic, map: new Map([['k', { a: [inner] }]]), set: new Set([{ b: 2 }]) }
    keeper.accept(1, snap(context))
    expect(Object.isFrozen(cyclic)).toBe(true)
    expect(Object.isFrozen(inner)).toBe(true)
    expect(Object.isFrozen(context.map.get('k')?.a)).toBe(true)
    expect(Object.isFrozen([...context.set][0])).toBe(true)
    expect(() => context.set.add({ b: 3 })).toThrow()
  })

  it.each([
    ['a getter that throws', () => Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('hostile getter') } })],
    ['a Proxy whose ownKeys throws', () => new Proxy({}, { ownKeys: () => { throw new Error('hostile ownKeys') } })],
    ['a Proxy whose getPrototypeOf throws', () => new Proxy({}, { getPrototypeOf: () => { throw new Error('hostile prototype') } })],
    ['a revoked Proxy', () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy }]
  ])('issue 15 item 1: refuses a state holding %s with UnkeepableStateError, keeping the last good one, also when it is sent again', (_, hostile) => {
    const keeper = new Keeper()
    keeper.open(1)
    keeper.accept(1, snap({ n: 1 }))
    const value = hostile()
    // Deep under new structure: what was walked before the failure must not let it through the next time.
    const state = () => ({ n: 2, wrap: [{ ok: { fine: true } }, { deeper: [value] }] })
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = (() => {
        try {
          keeper.accept(1, snap(state()))
        } catch (e) {
          return e
        }
      })()
      expect(error).toBeInstanceOf(UnkeepableStateError)
      expect(keeper.state).toEqual({ n: 1 })
    }
  })

  it('a part frozen by a refused walk is walked again: the same subtree, sent again under a new root, is refused again', () => {
    const keeper = new Keeper()
    keeper.open(1)
    const bad = Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('hostile getter') } })
    const shared = { list: [{ bad }] }
    expect(() => keeper.accept(1, snap({ shared }))).toThrow(UnkeepableStateError)
    expect(() => keeper.accept(1, snap({ again: shared }))).toThrow(UnkeepableStateError)
  })
})
