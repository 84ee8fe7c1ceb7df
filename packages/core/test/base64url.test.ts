// The base64url codec of EncryptedStore envelopes: the same text as Node's and jose's encoders,
// so envelopes written before and after it replaced jose's read back alike.
import { base64url } from 'jose'
import { describe, expect, it } from 'vitest'
import { decodeBase64Url, encodeBase64Url } from '../src/internal/base64url.ts'

describe('internal base64url', () => {
  it('encodes like Buffer and jose (unpadded base64url) and decodes back, at every tail length', () => {
    for (const length of [0, 1, 2, 3, 4, 5, 12, 31, 32, 33, 4096]) {
      const bytes = crypto.getRandomValues(new Uint8Array(length))
      const text = encodeBase64Url(bytes)
      expect(text).toBe(Buffer.from(bytes).toString('base64url'))
      expect(text).toBe(base64url.encode(bytes))
      expect(decodeBase64Url(text)).toEqual(bytes)
      expect(base64url.decode(text)).toEqual(bytes)
    }
  })

  it('decodes every byte value and accepts padding', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    expect(decodeBase64Url(Buffer.from(bytes).toString('base64url'))).toEqual(bytes)
    expect(decodeBase64Url('YWI=')).toEqual(new Uint8Array([0x61, 0x62]))
  })

  it('refuses the base64 alphabet and text that is not base64 at all', () => {
    for (const text of ['a+b/', 'ab+c', 'ab/c', '***', 'a', 'ab=c']) {
      expect(() => decodeBase64Url(text)).toThrow()
    }
  })
})
