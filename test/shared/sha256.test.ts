import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sha256 } from '../../src/shared/sha256'

const reference = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64url')

describe('sha256', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(Buffer.from(sha256('abc'), 'base64url').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(Buffer.from(sha256(''), 'base64url').toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(Buffer.from(sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), 'base64url').toString('hex')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'
    )
  })

  it('gives node:crypto\'s digest for every length around the block edges and for any text', () => {
    for (let n = 0; n < 200; n++) expect(sha256('x'.repeat(n))).toBe(reference('x'.repeat(n)))
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => sha256(text) === reference(text)))
  })
})
