import { describe, expect, it } from 'vitest'
import { CorruptRecordError, InvalidRecordError } from '../../src/stores/errors'
import { byId, decodeEvent, decodePayloadPage, decodeSnapshot, decodeSnapshotInfo, encodeJson, MAX_RECORD_CHARS, MAX_RECORD_DEPTH, type EventRow } from '../../src/stores/codec'

function refusal(run: () => unknown): InvalidRecordError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRecordError)
    return error as InvalidRecordError
  }
  throw new Error('expected a refusal')
}

/** JSON text of exactly `chars` characters: a string literal. */
const jsonOfLength = (chars: number) => `"${'x'.repeat(chars - 2)}"`

describe('encodeJson: what it refuses, and what it says', () => {
  class Point {
    x = 1
  }
  it.each([
    ['a number that is not finite', { list: [Number.NEGATIVE_INFINITY] }, 'payload.list[0]', 'a finite number'],
    ['a cycle', (() => { const a: unknown[] = []; a.push({ a }); return { a } })(), 'payload.a[0].a', 'JSON without cycles'],
    ['a class instance', { p: [new Point()] }, 'payload.p[0]', 'a plain object'],
    ['a function', { f: [() => 1] }, 'payload.f[0]', 'a JSON value'],
    ['undefined in an array', { list: [1, undefined] }, 'payload.list[1]', 'a JSON value (undefined is not one)'],
    ['a key that is not an identifier', { '1a': [Symbol('s')] }, 'payload["1a"][0]', 'a JSON value'],
    ['a key of identifier characters', { $x_1: [Number.NaN] }, 'payload.$x_1[0]', 'a finite number']
  ])('refuses %s, naming the path and what it expected', (_, value, path, expected) => {
    const error = refusal(() => encodeJson(value, 'payload'))
    expect(error.path).toBe(path)
    expect(error.message).toContain(`Can't store ${path}: expected ${expected}, got `)
  })

  it('names only the root for JSON nested too deep (a thousand keys would name nothing useful)', () => {
    const deep = JSON.parse('['.repeat(MAX_RECORD_DEPTH) + ']'.repeat(MAX_RECORD_DEPTH)) as unknown
    expect(refusal(() => encodeJson({ a: deep }, 'payload')).path).toBe('payload')
  })

  it('takes one object reached twice (not a cycle), an object without prototype, and leaves out undefined values', () => {
    const shared = { x: [1] }
    expect(encodeJson({ a: shared, b: [shared, shared] }, 'p')).toBe('{"a":{"x":[1]},"b":[{"x":[1]},{"x":[1]}]}')
    const bare = Object.assign(Object.create(null) as object, { y: [2] })
    expect(encodeJson({ bare, flat: Object.assign(Object.create(null) as object, { z: 3 }) }, 'p')).toBe('{"bare":{"y":[2]},"flat":{"z":3}}')
    expect(encodeJson({ a: undefined, b: [1], c: undefined }, 'p')).toBe('{"b":[1]}')
    expect(encodeJson([{ a: undefined }], 'p')).toBe('[{}]')
  })

  it('refuses a value whose reading throws, saying it could not be read', () => {
    const hostile = Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('no') } })
    expect(refusal(() => encodeJson(hostile, 'p')).message).toContain("Can't store p: expected a value that can be read and written as JSON, got ")
  })

  it('refuses an object whose own keys hide an inherited one, or a flat object holding a non-JSON value', () => {
    const child = Object.create({ inherited: 1 }) as Record<string, unknown>
    child.own = 1
    expect(refusal(() => encodeJson(child, 'p')).message).toContain('expected a plain object')
    expect(refusal(() => encodeJson({ n: 1, when: new Date(0) }, 'p')).path).toBe('p.when')
    expect(refusal(() => encodeJson({ n: 1, big: 1n }, 'p')).path).toBe('p.big')
    expect(refusal(() => encodeJson(Number.NaN, 'p')).message).toContain('expected a finite number')
  })

  it('checks a value given at the top as it checks one inside', () => {
    expect(refusal(() => encodeJson(undefined, 'p')).message).toContain("Can't store p: expected a JSON value, got undefined.")
    expect(refusal(() => encodeJson(new Point(), 'p')).message).toContain('expected a plain object, got a Point.')
    expect(encodeJson(Object.assign(Object.create(null) as object, { z: 3 }), 'p')).toBe('{"z":3}')
    expect(encodeJson([1, 'a', null], 'p')).toBe('[1,"a",null]')
    expect(encodeJson(null, 'p')).toBe('null')
  })

  it('stores only own properties, also when Object.prototype has been given an enumerable one', () => {
    Object.defineProperty(Object.prototype, 'polluted', { enumerable: true, configurable: true, get: () => { throw new Error('read the prototype') } })
    let json: unknown
    try {
      json = encodeJson({ a: 1 }, 'p')
    } catch (error) {
      json = error
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted // before expect, which reads objects too
    }
    expect(json).toBe('{"a":1}')
  })

  it(`takes JSON of exactly ${MAX_RECORD_CHARS} characters, and refuses one more`, () => {
    expect(encodeJson('x'.repeat(MAX_RECORD_CHARS - 2), 'p')).toHaveLength(MAX_RECORD_CHARS)
    const error = refusal(() => encodeJson({ s: 'x'.repeat(MAX_RECORD_CHARS) }, 'p'))
    expect(error.path).toBe('p')
    expect(error.message).toContain(`expected at most ${MAX_RECORD_CHARS} characters of JSON, got a string of length`)
  })
})

describe('decoding stored rows', () => {
  const row = (changes: Partial<Record<number, unknown>> = {}): EventRow => {
    const base: unknown[] = [7, 'a', 2, 'inc', '{"n":1}', 1, '["t"]', 42]
    for (const [i, value] of Object.entries(changes)) base[Number(i)] = value
    return base as unknown as EventRow
  }

  it('decodes an event, taking integers as node-postgres gives them (text)', () => {
    expect(decodeEvent(row())).toEqual({ id: 'a', seq: 2, position: 7, type: 'inc', payload: { n: 1 }, version: 1, tags: ['t'], at: 42 })
    expect(decodeEvent(row({ 0: '9007199254740991', 2: '3', 5: '4', 6: '[]' }))).toMatchObject({ position: Number.MAX_SAFE_INTEGER, seq: 3, version: 4, tags: [] })
  })

  it.each([
    ['a seq that is not an integer', { 2: 1.5 }, 'seq is not an integer'],
    ['a position beyond the safe integers', { 0: '9007199254740993' }, 'position is not an integer'],
    ['a type that is not text', { 3: 5 }, 'type is not text'],
    ['a payload that is not text', { 4: null }, 'payload is not text'],
    ['a payload that does not parse', { 4: '{"n":' }, 'JSON'],
    ['a version that is not an integer', { 5: 'one' }, 'version is not an integer'],
    ['tags that are not an array', { 6: '{"t":1}' }, 'tags is not an array of strings'],
    ['tags that are not strings', { 6: '["t",1]' }, 'tags is not an array of strings'],
    ['a time that is not a number', { 7: '42' }, 'at is not a number'],
    ['a time that is not finite', { 7: Number.NaN }, 'at is not a number'],
    ['a seq that is missing', { 2: null }, 'seq is not an integer'],
    ['tags that are not text', { 6: 5 }, 'tags is not text']
  ])('reports %s as CorruptRecordError naming the event, the field in its cause', (_, changes, cause) => {
    let error: unknown
    try {
      decodeEvent(row(changes))
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(CorruptRecordError)
    expect(error).toMatchObject({ id: 'a', record: 'event' })
    expect(((error as CorruptRecordError).cause as Error).message).toContain(cause)
  })

  it(`parses stored JSON of exactly ${MAX_RECORD_CHARS} characters, and reports one more as corrupt instead of parsing it`, () => {
    expect(decodeEvent(row({ 4: jsonOfLength(MAX_RECORD_CHARS) })).payload).toHaveLength(MAX_RECORD_CHARS - 2)
    let error: unknown
    try {
      decodeEvent(row({ 4: jsonOfLength(MAX_RECORD_CHARS + 1) }))
    } catch (e) {
      error = e
    }
    expect(((error as CorruptRecordError).cause as RangeError).message).toBe(`payload is over ${MAX_RECORD_CHARS} characters`)
  })

  it('decodes a snapshot, and reports a damaged field as CorruptRecordError naming the snapshot', () => {
    const snapshot = { id: 's', seq: '3', data: '{"a":[1]}', version: 2, at: 5 }
    expect(decodeSnapshot(snapshot)).toEqual({ id: 's', seq: 3, data: { a: [1] }, version: 2, at: 5 })
    expect(decodeSnapshotInfo(snapshot)).toEqual({ id: 's', seq: 3, version: 2, at: 5 })
    const damages: [Record<string, unknown>, string][] = [
      [{ data: 'garbage' }, 'JSON'],
      [{ data: null }, 'data is not text'],
      [{ version: 0.5 }, 'version is not an integer'],
      [{ at: null }, 'at is not a number'],
      [{ seq: 'x' }, 'seq is not an integer']
    ]
    for (const [damage, cause] of damages) {
      let error: unknown
      try {
        decodeSnapshot({ ...snapshot, ...damage })
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(CorruptRecordError)
      expect(error).toMatchObject({ id: 's', record: 'snapshot' })
      expect(((error as CorruptRecordError).cause as Error).message).toContain(cause)
    }
  })

  it('orders ids by UTF-16 code units', () => {
    const ids = ['é', 'b', 'B', 'a', '10', '9', '\u{1F600}', '\uFFFF'].map((id) => ({ id }))
    expect(ids.sort(byId).map((r) => r.id)).toEqual(['10', '9', 'B', 'a', 'b', 'é', '\u{1F600}', '\uFFFF'])
    expect(byId({ id: 'a' }, { id: 'a' })).toBe(0)
  })
})

describe('decodePayloadPage: what it does not vouch for', () => {
  it('text that is not an array, a page that is not text, or a payload exactly at the limit is vouched for', () => {
    expect(decodePayloadPage('{"a":1}', 1)).toBeUndefined()
    expect(decodePayloadPage(['[1,1,1]'], 1)).toBeUndefined()
    expect(decodePayloadPage(undefined, undefined)).toEqual([])
    expect(decodePayloadPage('[1,1,1]', MAX_RECORD_CHARS)).toEqual([{ seq: 1, version: 1, payload: 1 }])
    expect(decodePayloadPage('[1,1,1]', String(MAX_RECORD_CHARS + 1))).toBeUndefined()
  })
})
