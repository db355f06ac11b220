import { describe, expect, it } from 'vitest'
import { InvalidRecordError } from '../../src/index'
import { decodePayloadColumns, decodePayloadPage, encodeJson, MAX_RECORD_CHARS, MAX_RECORD_DEPTH } from '../../src/stores/codec'

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

describe('decodePayloadColumns', () => {
  const page = (seqs: string, payloads: string, low: unknown = 2, high: unknown = low, longest: unknown = 12) => decodePayloadColumns([longest, low, high, seqs, payloads])

  it('decodes a page of sequence numbers and payloads in the same order, all of one version', () => {
    expect(page('[1,2]', '[{"type":"a"},{"type":"b"}]')).toEqual([
      { seq: 1, version: 2, payload: { type: 'a' } },
      { seq: 2, version: 2, payload: { type: 'b' } }
    ])
  })

  it('reads an empty page (every aggregate NULL) as no events', () => {
    expect(decodePayloadColumns([null, null, null, null, null])).toEqual([])
    expect(decodePayloadColumns(undefined)).toEqual([])
  })

  it('does not vouch for a page of more than one version: the caller reads it row by row, each with its own', () => {
    expect(page('[1,2]', '[{"type":"a"},{"type":"b"}]', 1, 4)).toBeUndefined()
    expect(page('[1]', '[{"type":"a"}]', '1', '1')).toBeUndefined()
  })

  it('does not vouch for sequence numbers out of order, or columns of different lengths', () => {
    expect(page('[2,1]', '[{"type":"b"},{"type":"a"}]')).toBeUndefined()
    expect(page('[1,1]', '[{"type":"a"},{"type":"a"}]')).toBeUndefined()
    expect(page('[1,2]', '[{"type":"a"}]')).toBeUndefined()
    expect(page('[1]', '[{"type":"a"},{"type":"b"}]')).toBeUndefined()
  })

  it('does not vouch for text that does not parse, a column that is not text or not an array, or a payload over the record limit', () => {
    expect(page('[1', '[{"type":"a"}]')).toBeUndefined()
    expect(page('[1]', '[{"type"')).toBeUndefined()
    expect(page('{"a":1}', '[1]')).toBeUndefined()
    expect(page('[1]', '{"a":1}')).toBeUndefined()
    expect(decodePayloadColumns([12, 1, 1, ['[1]'], '[1]'])).toBeUndefined()
    expect(decodePayloadColumns([12, 1, 1, '[1]', ['[1]']])).toBeUndefined()
    expect(page('[1]', '[1]', 1, 1, MAX_RECORD_CHARS)).toEqual([{ seq: 1, version: 1, payload: 1 }])
    expect(page('[1]', '[1]', 1, 1, String(MAX_RECORD_CHARS + 1))).toBeUndefined()
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
