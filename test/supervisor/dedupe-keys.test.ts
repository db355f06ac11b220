import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fromTransition } from 'xstate'
import { call, eventDigest, InvalidOptionError, startBranch, type AnyBranch } from '../../src/index'
import { stoppedAfterEach } from '../support/cleanup'

// What a deduplicated call is keyed by: the event's digest (a stable function
// of its data: another process or version computes the same one), or the
// branch's grouper; and the typed errors for what can't be keyed.

const started = stoppedAfterEach<AnyBranch>()
const digest = (event: object) => eventDigest(event as { type: string })

function refusal(run: () => unknown): InvalidOptionError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError)
    return error as InvalidOptionError
  }
  throw new Error('expected a refusal')
}

describe("an event's digest", () => {
  it('is the SHA-256 (base64url) of its canonical form: keys sorted, every value tagged with its type', () => {
    const inner = Object.assign(Object.create(null) as Record<string, number>, { b: 1, a: 2 })
    const event = {
      type: 'op',
      s: 'x"y',
      n: 1.5,
      z: -0,
      t: true,
      f: false,
      u: undefined,
      big: 12n,
      nil: null,
      list: [1, [2], {}],
      at: new Date(5),
      inner
    }
    const canonical =
      '{"at":d5,"big":i12,"f":F,"inner":{"a":n2,"b":n1},"list":[n1,[n2],{}],"n":n1.5,"nil":N,' +
      '"s":s"x\\"y","t":T,"type":s"op","u":U,"z":n-0}'
    expect(eventDigest(event)).toBe(createHash('sha256').update(canonical).digest('base64url'))
  })

  it.each([
    ['an undefined item and none', { type: 'op', a: [undefined] }, { type: 'op', a: [] }],
    ['a null item and none', { type: 'op', a: [null] }, { type: 'op', a: [] }],
    ['two bigints', { type: 'op', a: 1n }, { type: 'op', a: 2n }],
    ['a bigint and a number', { type: 'op', a: 1n }, { type: 'op', a: 1 }],
    ['true and false', { type: 'op', a: true }, { type: 'op', a: false }],
    ['two dates', { type: 'op', a: new Date(1) }, { type: 'op', a: new Date(2) }],
    ['a date and its time', { type: 'op', a: new Date(1) }, { type: 'op', a: 1 }],
    ['two items and one joined', { type: 'op', a: ['a', 'b'] }, { type: 'op', a: ['ab'] }],
    ['a nested array and a flat one', { type: 'op', a: [[1], 2] }, { type: 'op', a: [1, [2]] }]
  ])('tells apart %s', (_, a, b) => {
    expect(digest(a)).not.toBe(digest(b))
  })

  it('writes an object met twice (not inside itself) both times', () => {
    const shared = { k: [1, 2] }
    const list = [3]
    expect(digest({ type: 'op', a: shared, b: shared, c: [list, list] })).toBe(
      digest({ type: 'op', a: { k: [1, 2] }, b: { k: [1, 2] }, c: [[3], [3]] })
    )
  })

  it('refuses a cycle, saying so', () => {
    const cycle: Record<string, unknown> = { type: 'op' }
    cycle.self = { back: cycle }
    const error = refusal(() => digest(cycle))
    expect(error.option).toBe('dedupe')
    expect(error.message).toMatch(/\(this one is circular\)/)
    expect(error.message).not.toMatch(/reading it threw/)
    const list: unknown[] = []
    list.push(list)
    expect(refusal(() => digest({ type: 'op', list })).message).toMatch(/circular/)
  })

  it.each([
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a Map', new Map()],
    ['a class instance', new (class Point {})()]
  ])('refuses %s, asking for plain data or a grouper', (_, value) => {
    const error = refusal(() => digest({ type: 'op', value }))
    expect(error.option).toBe('dedupe')
    expect(error.message).toMatch(/plain data .* give the branch a grouper/)
  })

  it('refuses an event whose reading throws, with what it threw as the cause', () => {
    const trap = new Error('trap')
    const event = {
      type: 'op',
      get secret(): never {
        throw trap
      }
    }
    const error = refusal(() => digest(event))
    expect(error.option).toBe('dedupe')
    expect(error.message).toMatch(/plain data .*\(reading it threw Error: trap\)/)
    expect(error.cause).toBe(trap)
  })
})

describe("a branch's grouper", () => {
  /** A branch counting the executions of `op` (answered at once with the count so far). */
  async function counting(grouper: (e: { type: string; k?: string }) => unknown) {
    const logic = fromTransition((n: number, e: { type: string }) => (e.type === 'op' ? n + 1 : n), 0)
    const branch = await startBranch({ logic, grouper: grouper as never })
    started.push(branch)
    return branch
  }

  it('keys by what it returns: two keys, two executions', async () => {
    const branch = await counting((e) => e.k)
    const answers = await Promise.all([call(branch, { type: 'op', k: 'a' }), call(branch, { type: 'op', k: 'b' })])
    expect(answers).toEqual([1, 2])
  })

  it('returning undefined leaves the call alone, even one that asks for dedupe', async () => {
    const branch = await counting(() => undefined)
    const answers = await Promise.all([call(branch, { type: 'op' }, { dedupe: true }), call(branch, { type: 'op' }, { dedupe: true })])
    expect(answers).toEqual([1, 2])
  })

  it('that throws is blamed, with what it threw', async () => {
    const thrown = new Error('nope')
    const branch = await counting(() => {
      throw thrown
    })
    const error = (await call(branch, { type: 'op' }).catch((e: unknown) => e)) as InvalidOptionError
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error.option).toBe('grouper')
    expect(error.message).toMatch(/a function that returns a key without throwing \(it threw Error: nope\)/)
    expect(error.cause).toBe(thrown)
  })

  it('that returns a number is blamed, naming grouper(event)', async () => {
    const branch = await counting(() => 42)
    const error = (await call(branch, { type: 'op' }).catch((e: unknown) => e)) as InvalidOptionError
    expect(error.option).toBe('grouper(event)')
    expect(error.message).toMatch(/a string or undefined/)
  })

  it('a dedupe option that is not a boolean is blamed', async () => {
    const branch = await counting((e) => e.k)
    const error = (await call(branch, { type: 'op' }, { dedupe: 1 as never }).catch((e: unknown) => e)) as InvalidOptionError
    expect(error.option).toBe('dedupe')
    expect(error.message).toMatch(/a boolean/)
  })
})
