import { describe, expect, it } from 'vitest'
import { BranchStartError, LogicModuleError, startBranch, UncloneableError, WorkerExitedError } from '../../../src/index'
import { findUncloneable } from '../../../src/worker/isolated/cloneable'
import { calledForm, checkHostMessage, expandCalled, fromWire, toWire } from '../../../src/worker/isolated/protocol'

describe('the wire', () => {
  it('finds the first field structured clone would refuse or change, by path', () => {
    class Handle {}
    expect(findUncloneable({ a: [1, { b: () => 1 }] }, 'event')?.path).toBe('event.a[1].b')
    expect(findUncloneable({ m: new Map([['k', Symbol('s')]]) }, 'state')?.path).toBe('state.m.get("k")')
    expect(findUncloneable({ h: new Handle() }, 'state')?.message).toMatch(/state\.h is an instance of Handle/)
    const cyclic: Record<string, unknown> = { when: new Date(0), bytes: new Uint8Array(2), set: new Set([1]), error: new Error('x') }
    cyclic.self = cyclic
    expect(findUncloneable(cyclic, 'state')).toBeUndefined()
    expect(findUncloneable(Object.create(null), 'state')).toBeUndefined()
  })

  it("rebuilds keepsake's errors as themselves and others with their name and stack", () => {
    const uncloneable = fromWire(toWire(new UncloneableError('state.fn', 'a function')))
    expect(uncloneable).toBeInstanceOf(UncloneableError)
    expect((uncloneable as UncloneableError).path).toBe('state.fn')
    expect((uncloneable as UncloneableError).code).toBe('UNCLONEABLE')
    expect(fromWire(toWire(new LogicModuleError('file:///x.js', 'x', 'no'))).constructor).toBe(LogicModuleError)
    const type = new TypeError('bad')
    const rebuilt = fromWire(toWire(type))
    expect([rebuilt.name, rebuilt.message, rebuilt.stack]).toEqual(['TypeError', 'bad', type.stack])
    expect(fromWire(toWire('a string')).message).toBe('non-error thrown: a string')
  })

  it('refuses malformed messages from a host, saying what is wrong', () => {
    expect(checkHostMessage({ t: 'snapshot', inc: 1, snapshot: {} })).toBeUndefined()
    expect(checkHostMessage({ t: 'table', name: 't', op: 'set', key: 1, value: 2 })).toBeUndefined()
    expect(checkHostMessage(null)).toMatch(/not an object/)
    expect(checkHostMessage({ t: 'launch' })).toMatch(/unknown kind "launch"/)
    expect(checkHostMessage({ t: 'processed' })).toMatch(/without an incarnation/)
    expect(checkHostMessage({ t: 'snapshot', inc: 1, snapshot: {}, answers: 'x' })).toMatch(/answers/)
    expect(checkHostMessage({ t: 'snapshot', inc: 1, snapshot: {}, event: { type: 'read' } })).toBeUndefined()
    expect(checkHostMessage({ t: 'snapshot', inc: 1, snapshot: {}, event: 'read' })).toMatch(/malformed event/)
    expect(checkHostMessage({ t: 'snapshot', inc: 1, snapshot: {}, context: [['s', [], 1], ['d', ['a']], ['l', ['b'], 2]] })).toBeUndefined()
    // Only the context changed: no persisted form, but then changes are due.
    expect(checkHostMessage({ t: 'snapshot', inc: 1, context: [['s', ['n'], 1]] })).toBeUndefined()
    expect(checkHostMessage({ t: 'snapshot', inc: 1 })).toMatch(/malformed snapshot/)
    expect(checkHostMessage({ t: 'snapshot', inc: 1, snapshot: null, context: [] })).toMatch(/malformed snapshot/)
    expect(checkHostMessage({ t: 'snapshot', inc: 1, snapshot: {}, context: [['x', []]] })).toMatch(/context changes/)
    expect(checkHostMessage({ t: 'snapshot', inc: 1, snapshot: {}, context: [['l', ['b'], '2']] })).toMatch(/context changes/)
    expect(checkHostMessage({ t: 'crash', inc: 1, error: 'boom' })).toMatch(/without an error/)
    expect(checkHostMessage({ t: 'answer', inc: 1 })).toMatch(/call ref/)
    expect(checkHostMessage({ t: 'table', name: 't', op: 'drop' })).toMatch(/table write/)
    // A delivery's last state may carry its end (`p`), with a deferred call's token.
    expect(checkHostMessage({ t: 'snapshot', inc: 1, snapshot: {}, d: true, p: true, deferred: 'token' })).toBeUndefined()
    expect(checkHostMessage({ t: 'snapshot', inc: 1, snapshot: {}, p: true })).toMatch(/processed flag/)
    expect(checkHostMessage({ t: 'snapshot', inc: 1, snapshot: {}, d: true, p: 1 })).toMatch(/processed flag/)
    expect(checkHostMessage({ t: 'snapshot', inc: 1, snapshot: {}, d: true, deferred: 'token' })).toMatch(/reply token/)
    expect(checkHostMessage({ t: 'snapshot', inc: 1, snapshot: {}, d: true, p: true, deferred: 7 })).toMatch(/reply token/)
    // A call's common end, flat.
    expect(checkHostMessage({ t: 'called', inc: 1, ref: 2, answer: 3, key: 'n', value: 4 })).toBeUndefined()
    expect(checkHostMessage({ t: 'called', inc: 1, ref: 2, answer: undefined })).toBeUndefined()
    expect(checkHostMessage({ t: 'called', ref: 2, answer: 3 })).toMatch(/without an incarnation/)
    expect(checkHostMessage({ t: 'called', inc: 1, answer: 3 })).toMatch(/without a call ref/)
    expect(checkHostMessage({ t: 'called', inc: 1, ref: 2, answer: 3, key: ['n'], value: 4 })).toMatch(/malformed context key/)
  })

  it("sends a call's common end flat, standing for the same snapshot message, and any other as it is", () => {
    const end = { t: 'snapshot', inc: 1, context: [['s', ['calls'], 5]], answers: [[7, { n: 5 }]], d: true, p: true } as const
    const flat = calledForm(end)
    expect(flat).toEqual({ t: 'called', inc: 1, ref: 7, answer: { n: 5 }, key: 'calls', value: 5 })
    expect(expandCalled(flat as NonNullable<typeof flat>)).toEqual(end)
    // A state that changed nothing: no key; set to undefined: a key with an undefined value.
    const same = { ...end, context: [] }
    expect(expandCalled(calledForm(same) as NonNullable<typeof flat>)).toEqual(same)
    const cleared = { ...end, context: [['s', ['calls'], undefined]] as const }
    expect(expandCalled(calledForm(cleared) as NonNullable<typeof flat>)).toEqual(cleared)
    // Anything more, or other, crosses as the snapshot message.
    const others = [
      { ...end, p: undefined },
      { ...end, snapshot: { status: 'active' } },
      { ...end, deferred: 'token' },
      { ...end, delays: [] },
      { ...end, event: { type: 'get' } },
      { ...end, answers: [] },
      { ...end, answers: [[7, 1], [8, 2]] },
      { ...end, context: undefined },
      { ...end, context: [['s', ['a'], 1], ['s', ['b'], 2]] },
      { ...end, context: [['s', ['a', 'b'], 1]] },
      { ...end, context: [['s', [], 1]] },
      { ...end, context: [['s', [0], 1]] },
      { ...end, context: [['d', ['a']]] }
    ] as const
    for (const other of others) expect(calledForm(other as Parameters<typeof calledForm>[0])).toBeUndefined()
  })
})

describe('a host that dies before its first state', () => {
  it.each(['thread', 'process'] as const)('with isolation %s fails the start with BranchStartError, caused by WorkerExitedError', async (isolation) => {
    const error = await startBranch({ logic: { module: './exits-on-load.ts', export: 'never' }, isolation }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BranchStartError)
    const cause = (error as { cause: unknown }).cause
    expect(cause).toBeInstanceOf(WorkerExitedError)
    expect((cause as WorkerExitedError).how).toBe('exited with code 3')
  })
})
