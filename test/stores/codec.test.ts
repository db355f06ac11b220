import { describe, expect, it } from 'vitest'
import { InvalidRecordError } from '../../src/index'
import { decodePayloadPage, encodeJson, MAX_RECORD_DEPTH } from '../../src/stores/codec'

describe('decodePayloadPage', () => {
  it('decodes a page of seq, version, payload triples in order', () => {
    expect(decodePayloadPage('[1,1,{"type":"a"},2,3,{"type":"b"}]', 12)).toEqual([
      { seq: 1, version: 1, payload: { type: 'a' } },
      { seq: 2, version: 3, payload: { type: 'b' } }
    ])
  })

  it('reads an empty page as no events', () => {
    expect(decodePayloadPage(null, null)).toEqual([])
  })

  it("does not vouch for a page whose sequence numbers are out of order (the caller reads it row by row)", () => {
    expect(decodePayloadPage('[2,1,{"type":"b"},1,1,{"type":"a"}]', 12)).toBeUndefined()
    expect(decodePayloadPage('[1,1,{"type":"a"},1,1,{"type":"a"}]', 12)).toBeUndefined()
  })

  it('does not vouch for text that does not parse, a ragged page, or a payload over the record limit', () => {
    expect(decodePayloadPage('[1,1,{"type"', 12)).toBeUndefined()
    expect(decodePayloadPage('[1,1]', 12)).toBeUndefined()
    expect(decodePayloadPage('[1,1,{"type":"a"}]', 64 * 1024 * 1024)).toBeUndefined()
  })
})

describe('encodeJson (issue 15 item 1: no recursion over the value)', () => {
  const nested = (levels: number) => JSON.parse('['.repeat(levels) + ']'.repeat(levels)) as unknown

  it(`takes JSON nested ${MAX_RECORD_DEPTH} levels deep and refuses one level more, or 100,000, with InvalidRecordError`, () => {
    expect(encodeJson(nested(MAX_RECORD_DEPTH), 'payload')).toHaveLength(2 * MAX_RECORD_DEPTH)
    for (const levels of [MAX_RECORD_DEPTH + 1, 100_000]) {
      const error = refusal(() => encodeJson(nested(levels), 'payload'))
      expect(error).toBeInstanceOf(InvalidRecordError)
      expect(error.message).toContain(`nested at most ${MAX_RECORD_DEPTH} levels deep`)
    }
  })

  it('names the path of what it refuses', () => {
    expect(refusal(() => encodeJson({ a: [1, { b: Number.NaN }] }, 'payload')).path).toBe('payload.a[1].b')
    expect(refusal(() => encodeJson({ a: [1, undefined] }, 'payload')).path).toBe('payload.a[1]')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = { again: cyclic }
    expect(refusal(() => encodeJson(cyclic, 'payload')).path).toBe('payload.self.again')
  })

  it('refuses a value whose reading throws (a getter, a proxy trap) with InvalidRecordError, the thrown error as cause', () => {
    const boom = new Error('hostile getter')
    const values = [
      Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw boom } }),
      new Proxy({}, { ownKeys: () => { throw boom } }),
      { deep: [new Proxy([], { get: () => { throw boom } })] }
    ]
    for (const value of values) {
      const error = refusal(() => encodeJson(value, 'payload'))
      expect(error).toBeInstanceOf(InvalidRecordError)
      expect(error.cause).toBe(boom)
    }
  })
})

function refusal(run: () => unknown): InvalidRecordError {
  try {
    run()
  } catch (error) {
    return error as InvalidRecordError
  }
  throw new Error('expected a refusal')
}
