import { describe, expect, it } from 'vitest'
import { decodePayloadPage } from '../../src/stores/codec'

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
