import { describe, expect, it } from 'vitest'
import type { Snapshot } from 'xstate'
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
})
