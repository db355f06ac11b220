import { describe, expect, it } from 'vitest'
import { assign, createActor, fromCallback, fromPromise, setup } from 'xstate'
import { applyChanges, diffState, StateChanges } from '../../src/shared/changes'

// diffState's exact output where its choices show (the changes of a durable compactEvery record
// and of an isolated worker's state are these lists), and applyChanges' refusals by name.

describe('diffState', () => {
  it('sends an array entry by entry while at most half of it (plus one) changed, and whole past that', () => {
    // after.length 6: up to 4 changed entries go one by one, 5 go whole.
    expect(diffState([1, 2, 3, 4, 5, 6], [9, 9, 9, 9, 5, 6])).toEqual([
      ['s', [0], 9],
      ['s', [1], 9],
      ['s', [2], 9],
      ['s', [3], 9]
    ])
    expect(diffState([1, 2, 3, 4, 5, 6], [9, 9, 9, 9, 9, 6])).toEqual([['s', [], [9, 9, 9, 9, 9, 6]]])
    // Growth counts as changed: 4 new entries of 6 go one by one, 5 go whole.
    expect(diffState([1, 2], [1, 2, 3, 4, 5, 6])).toEqual([
      ['s', [2], 3],
      ['s', [3], 4],
      ['s', [4], 5],
      ['s', [5], 6]
    ])
    expect(diffState([1], [1, 2, 3, 4, 5, 6])).toEqual([['s', [], [1, 2, 3, 4, 5, 6]]])
  })

  it('an array of the same length has no cut; a shorter one is cut to its length', () => {
    expect(diffState({ list: [1, 2, 3] }, { list: [1, 9, 3] })).toEqual([['s', ['list', 1], 9]])
    expect(diffState({ list: [1, 2, 3] }, { list: [1] })).toEqual([['l', ['list'], 1]])
  })

  it('enters an object without a prototype as a plain one; a class instance that is not the same goes whole', () => {
    const before = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: 2 })
    const after = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: 3 })
    expect(diffState({ o: before }, { o: after })).toEqual([['s', ['o', 'b'], 3]])
    const day = new Date(0)
    const later = new Date(0)
    expect(diffState({ day }, { day: later })).toEqual([['s', ['day'], later]])
  })
})

describe('diffState at the edges of plain data', () => {
  it('sends a value that replaces null whole, and an own __proto__ key that is new as one set', () => {
    expect(diffState({ a: null }, { a: { b: 1 } })).toEqual([['s', ['a'], { b: 1 }]])
    const after = JSON.parse('{"a": 1, "__proto__": {"x": 1}}') as object
    expect(diffState({ a: 1 }, after)).toEqual([['s', ['__proto__'], { x: 1 }]])
  })
})

describe('applyChanges', () => {
  it('names what a path goes through that is no container', () => {
    expect(() => applyChanges({ a: null }, [['s', ['a', 'b'], 1]])).toThrow('the path ["a","b"] goes through null')
    expect(() => applyChanges({ a: 'x' }, [['d', ['a', 'b']]])).toThrow('the path ["a","b"] goes through string')
  })

  it('sets a __proto__ key as an own, enumerable, writable value, leaving the prototype alone', () => {
    const applied = applyChanges({ a: 1 }, [['s', ['__proto__'], { x: 1 }]]) as object
    expect(Object.getPrototypeOf(applied)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(applied, '__proto__')).toEqual({ value: { x: 1 }, writable: true, enumerable: true, configurable: true })
  })

  it('refuses a deletion of the root', () => {
    expect(() => applyChanges({ a: 1 }, [['d', []]])).toThrow('a deletion of the root')
  })

  it('cuts the array at the path itself, sets and deletes in the container above it, each writing a copy once', () => {
    const base = Object.freeze({ list: Object.freeze([1, 2, 3]), o: Object.freeze({ k: 1, gone: 2 }) })
    const applied = applyChanges(base, [
      ['l', ['list'], 1],
      ['s', ['list', 1], 7],
      ['d', ['o', 'gone']],
      ['s', ['o', 'k'], 5]
    ])
    expect(applied).toEqual({ list: [1, 7], o: { k: 5 } })
    expect(base).toEqual({ list: [1, 2, 3], o: { k: 1, gone: 2 } })
  })
})

describe('StateChanges of a machine', () => {
  it("takes an actor in the context as xstate persists it (its id), in the changes as in the state, not the live actor", () => {
    const machine = setup({ actors: { kid: fromCallback(() => () => {}) } }).createMachine({
      context: ({ spawn }) => ({ n: 0, kid: spawn('kid', { id: 'kid' }) }),
      on: { inc: { actions: assign({ n: ({ context }) => context.n + 1 }) }, swap: { actions: assign({ kid: ({ spawn }) => spawn('kid', { id: 'kid2' }) }) } }
    })
    const actor = createActor(machine).start()
    const changes = new StateChanges(machine)
    const first = changes.take(actor.getSnapshot())
    expect(first.context).toEqual([['s', [], { n: 0, kid: { xstate$$type: 1, id: 'kid' } }]])
    expect((first.persisted as { context?: unknown }).context).toBeUndefined()
    actor.send({ type: 'inc' })
    expect(changes.take(actor.getSnapshot()).context).toEqual([['s', ['n'], 1]])
    actor.send({ type: 'swap' })
    expect(changes.take(actor.getSnapshot()).context).toEqual([['s', ['kid'], { xstate$$type: 1, id: 'kid2' }]])
    actor.stop()
  })

  it('keeps a cut as it is beside an actor taken as persisted', () => {
    const machine = setup({ actors: { kid: fromCallback(() => () => {}) } }).createMachine({
      context: ({ spawn }) => ({ list: [1, 2, 3], kid: spawn('kid', { id: 'kid' }) }),
      on: { both: { actions: assign({ list: ({ context }) => context.list.slice(0, 1), kid: ({ spawn }) => spawn('kid', { id: 'kid2' }) }) } }
    })
    const actor = createActor(machine).start()
    const changes = new StateChanges(machine)
    changes.take(actor.getSnapshot())
    actor.send({ type: 'both' })
    expect(changes.take(actor.getSnapshot()).context).toEqual([
      ['l', ['list'], 1],
      ['s', ['kid'], { xstate$$type: 1, id: 'kid2' }]
    ])
    actor.stop()
  })
})

describe('StateChanges of a logic without a context', () => {
  it('takes its state persisted whole, and no changes', () => {
    const logic = fromPromise(() => new Promise<number>(() => {}))
    const actor = createActor(logic).start()
    const taken = new StateChanges(logic).take(actor.getSnapshot())
    expect(taken).toEqual({ persisted: expect.objectContaining({ status: 'active' }), context: undefined, same: false })
    actor.stop()
  })
})
