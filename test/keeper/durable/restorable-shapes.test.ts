import { describe, expect, it } from 'vitest'
import { createMachine, fromTransition } from 'xstate'
import { inertScope } from '../../../src/keeper/durable/replay'
import { initialContext, unfitShape, unrestorable } from '../../../src/keeper/durable/restorable'

const machine = createMachine({
  context: { count: 0 },
  initial: 'idle',
  states: {
    idle: {},
    busy: { initial: 'fetching', states: { fetching: {}, parsing: {} } }
  }
})
const flat = createMachine({ context: {} })
const list = fromTransition((items: string[]) => items, [] as string[])
const echo = fromTransition((state: unknown) => state, ({ input }: { input: unknown }) => input)

const snapshot = (extra: Record<string, unknown>) => ({ status: 'active', context: { count: 1 }, ...extra })

describe('whether a stored snapshot is one the logic can restore', () => {
  it.each([
    ['"hello"', 'hello'],
    ['null', null],
    ['number 3', 3],
    ['an array of length 1', [{ status: 'active' }]]
  ])('refuses %s: not a snapshot object', (described, data) => {
    expect(unfitShape(list, data, [])).toBe(`it is ${described}, not a snapshot object`)
  })

  it.each(['active', 'done', 'error', 'stopped'])('takes the status %s', (status) => {
    expect(unfitShape(list, { status, context: ['a'] }, [])).toBeUndefined()
  })

  it.each([
    ['"running"', 'running'],
    ['undefined', undefined]
  ])('refuses the status %s, naming the four', (described, status) => {
    expect(unfitShape(list, { status, context: [] }, [])).toBe(`its status is ${described}, not one of active, done, error, stopped`)
  })

  it.each([
    ['a state name', 'idle'],
    ['a name whose state has children', 'busy'],
    ['an object of names', { busy: 'parsing' }],
    ['an empty object for a state without children', { idle: {} }],
    ['a name the machine lacks (left to its own restore)', { nowhere: {} }],
    ['names under a name the machine lacks', { nowhere: { deeper: 'x' } }],
    ['names under a state without children (left to its own restore)', { idle: { inner: 'x' } }]
  ])('takes a machine state value that is %s', (_, value) => {
    expect(unfitShape(machine, snapshot({ value }), { count: 0 })).toBeUndefined()
  })

  it.each([
    ['an empty name', '', 'is an empty name'],
    ['a number', 5, 'is number 5, not a state name or an object of them'],
    ['null', null, 'is null, not a state name or an object of them'],
    ['an array', ['idle'], 'is an array of length 1, not a state name or an object of them'],
    ['an empty object where the machine has states', {}, 'is an empty object, which names none of its states (xstate would start it over)'],
    ['an empty name under a state', { busy: '' }, 'is an empty name at busy'],
    ['a number two levels down', { busy: { fetching: 7 } }, 'is number 7 at busy.fetching, not a state name or an object of them'],
    ['an empty object for a state with children', { busy: {} }, 'is an empty object at busy, which names none of its states (xstate would start it over)']
  ])('refuses a machine state value that is %s, saying where', (_, value, why) => {
    expect(unfitShape(machine, snapshot({ value }), { count: 0 })).toBe(`its state value ${why}`)
  })

  it('a machine with no states has the value {}', () => {
    expect(unfitShape(flat, { status: 'active', value: {}, context: {} }, {})).toBeUndefined()
  })

  it('a logic that is not a machine has no state value to check', () => {
    expect(unfitShape(list, { status: 'active', value: 5, context: [] }, [])).toBeUndefined()
  })

  it.each([
    [{ count: 0 }, [1], 'an array', 'an object'],
    [{ count: 0 }, null, 'null', 'an object'],
    [[], 'x', 'a string', 'an array'],
    ['text', 3, 'a number', 'a string']
  ])('refuses a context of another kind than the initial one %j', (initial, context, kind, initialKind) => {
    expect(unfitShape(list, { status: 'active', context }, initial)).toBe(`its context is ${kind}, where the logic's initial context is ${initialKind}`)
  })

  it.each([
    ['absent', undefined],
    ['null', null]
  ])('any context goes when the initial one is %s', (_, initial) => {
    expect(unfitShape(list, { status: 'active', context: 'anything' }, initial)).toBeUndefined()
  })

  it("compares with the initial context the input gives, and with none when the logic's start throws", () => {
    const stored = { status: 'active', context: { any: 1 } }
    expect(unrestorable(echo, inertScope(echo), stored, 'text')).toBe("its context is an object, where the logic's initial context is a string")
    expect(unrestorable(echo, inertScope(echo), stored, { other: 2 })).toBeUndefined()
    const failing = fromTransition((s: unknown) => s, () => {
      throw new Error('no start without input')
    })
    expect(initialContext(failing, inertScope(failing), undefined)).toBeUndefined()
    expect(unrestorable(failing, inertScope(failing), stored, undefined)).toBeUndefined()
  })
})
