import { describe, expect, it } from 'vitest'
import type { EventObject } from 'xstate'
import { journalPayload } from '../../../src/keeper/durable/payload'

describe('an event as it is journaled', () => {
  it('is the event itself when nothing in it is an Error, flat or nested', () => {
    const flat = { type: 'add', n: 1, label: 'x', none: null }
    const nested = { type: 'put', item: { tags: ['a', { deep: [1, 2] }] }, none: null }
    expect(journalPayload(flat)).toBe(flat)
    expect(journalPayload(nested)).toBe(nested)
  })

  it('an Error at the top becomes { name, message }', () => {
    const event = Object.assign(new RangeError('too far'), { type: 'error.thing' })
    expect(journalPayload(event as EventObject)).toEqual({ name: 'RangeError', message: 'too far' })
  })

  it("an invoked actor's failure becomes { name, message }, copying only the objects on the way to it", () => {
    const untouched = { keep: [1, 2] }
    const event = { type: 'xstate.error.actor.fetch', error: new TypeError('boom'), other: untouched, n: 3 }
    const payload = journalPayload(event) as Record<string, unknown>
    expect(payload).toEqual({ type: 'xstate.error.actor.fetch', error: { name: 'TypeError', message: 'boom' }, other: { keep: [1, 2] }, n: 3 })
    expect(payload).not.toBe(event)
    expect(payload.other).toBe(untouched)
    expect(event.error).toBeInstanceOf(TypeError)
  })

  it('replaces Errors deep in objects and arrays, an array staying an array', () => {
    const sibling = { fine: true }
    const event = { type: 'report', failures: [sibling, { cause: new Error('first') }, new SyntaxError('second')] }
    const payload = journalPayload(event) as { failures: unknown[] }
    expect(payload).toEqual({ type: 'report', failures: [{ fine: true }, { cause: { name: 'Error', message: 'first' } }, { name: 'SyntaxError', message: 'second' }] })
    expect(Array.isArray(payload.failures)).toBe(true)
    expect(payload.failures[0]).toBe(sibling)
    expect(event.failures[2]).toBeInstanceOf(SyntaxError)
    expect((event.failures[1] as { cause: unknown }).cause).toBeInstanceOf(Error)
  })

  it('two Errors under one object share its copy; an object reached twice is copied once', () => {
    const shared = { a: new Error('a'), b: new Error('b') }
    const event = { type: 'two', left: shared, right: shared }
    const payload = journalPayload(event) as { left: unknown; right: unknown }
    const plain = { a: { name: 'Error', message: 'a' }, b: { name: 'Error', message: 'b' } }
    expect(payload).toEqual({ type: 'two', left: plain, right: plain })
    expect(payload.left).toBe(payload.right)
  })

  it('an Error met again down another branch of a cycle is still replaced, and the walk ends', () => {
    const error = new Error('looped')
    const node: Record<string, unknown> = { error }
    node.self = node
    const event = { type: 'cyclic', node, again: { node } }
    const payload = journalPayload(event) as { node: Record<string, unknown>; again: { node: Record<string, unknown> } }
    expect(payload.node.error).toEqual({ name: 'Error', message: 'looped' })
    expect(payload.again.node.error).toEqual({ name: 'Error', message: 'looped' })
    expect(payload.node).toBe(payload.again.node)
  })

  it('an Error 100,000 levels deep is replaced without exhausting the call stack', () => {
    const event = { type: 'deep', tree: JSON.parse('['.repeat(100_000) + '{"leaf":0}' + ']'.repeat(100_000)) as unknown }
    let leaf = event.tree as unknown[] | Record<string, unknown>
    while (Array.isArray(leaf)) leaf = leaf[0] as unknown[] | Record<string, unknown>
    leaf.leaf = new Error('at the bottom')
    let copied = (journalPayload(event) as { tree: unknown }).tree
    let levels = 0
    for (; Array.isArray(copied); levels++) copied = copied[0]
    expect(levels).toBe(100_000)
    expect(copied).toEqual({ leaf: { name: 'Error', message: 'at the bottom' } })
    expect(leaf.leaf).toBeInstanceOf(Error)
  })

  it('what reading the event throws is thrown as is', () => {
    const hostile = new Error('hostile getter')
    const event = Object.defineProperty({ type: 'bad', nested: {} }, 'x', {
      enumerable: true,
      get: () => {
        throw hostile
      }
    })
    expect(() => journalPayload(event)).toThrow(hostile)
  })
})
