import { describe, expect, it } from 'vitest'
import type { Snapshot } from 'xstate'
import { Keeper } from '../../src/keeper/Keeper'
import { Tables } from '../../src/keeper/Tables'

/** A snapshot as a worker reports it (only its context matters to the keeper). */
interface Reported {
  status: 'active'
  output: undefined
  error: undefined
  context: unknown
}
const reported = (context: unknown): Reported => ({ status: 'active', output: undefined, error: undefined, context })
const snap = (context: unknown) => reported(context) as Snapshot<unknown>

describe('Keeper, at its edges', () => {
  it('holds nothing before its first state, and takes none before it is opened', () => {
    const keeper = new Keeper()
    expect(keeper.snapshot).toBeUndefined()
    expect(keeper.state).toBeUndefined()
    expect(keeper.accept(0, snap({ n: 1 }))).toBe(false)
    expect(keeper.snapshot).toBeUndefined()
  })

  it('keeps the snapshot object itself, and its context as the state', () => {
    const keeper = new Keeper()
    keeper.open(3)
    const kept = reported({ n: 1 })
    expect(keeper.accept(3, kept as Snapshot<unknown>)).toBe(true)
    expect(keeper.snapshot).toBe(kept)
    expect(keeper.state).toBe(kept.context)
  })

  it('the same snapshot sent again with its context swapped in place: the new context is frozen too', () => {
    const keeper = new Keeper()
    keeper.open(1)
    const same = reported({ n: 1 })
    keeper.accept(1, same as Snapshot<unknown>)
    const swapped = { n: 2, list: [1] }
    same.context = swapped
    expect(keeper.accept(1, same as Snapshot<unknown>)).toBe(true)
    expect(Object.isFrozen(swapped)).toBe(true)
    expect(Object.isFrozen(swapped.list)).toBe(true)
    expect(keeper.state).toBe(swapped)
  })

  it('uses the tables it is given', () => {
    const tables = new Tables()
    expect(new Keeper(tables).tables).toBe(tables)
  })
})

describe('Tables', () => {
  it('has no table before the first use', () => {
    const tables = new Tables()
    expect(tables.names()).toEqual([])
    expect(tables.entries()).toEqual([])
  })

  it('creates a table on first use and gives the same one after; lists them in creation order', () => {
    const tables = new Tables()
    const b = tables.table('b')
    b.set('k', 1)
    tables.table('a').set('x', 2)
    expect(tables.table('b')).toBe(b)
    expect(tables.names()).toEqual(['b', 'a'])
    expect(tables.entries()).toEqual([
      ['b', new Map([['k', 1]])],
      ['a', new Map([['x', 2]])]
    ])
  })

  it('starts from the entries a moved branch brings, and adds to them', () => {
    const brought = new Map<unknown, unknown>([['k', 'v']])
    const tables = new Tables([['moved', brought]])
    expect(tables.table('moved')).toBe(brought)
    tables.table('new')
    expect(tables.names()).toEqual(['moved', 'new'])
  })
})
