import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OpenRpError, TokenSet } from '../src/index.ts'

const claims = {
  iss: 'https://op.test',
  sub: 'u1',
  aud: 'c1',
  exp: 2_000_000_000,
  iat: 1_000_000_000,
}

describe('TokenSet', () => {
  it('round-trips through JSON with every member', () => {
    const set = new TokenSet({
      accessToken: 'at',
      tokenType: 'dpop',
      expiresAt: 1_900_000_000,
      issuedAt: 1_899_996_400,
      refreshToken: 'rt',
      idToken: 'a.b.c',
      idTokenClaims: claims,
      scope: 'openid',
      issuedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
      dpopJkt: 'jkt',
      extra: { authorization_details: [{ type: 'x' }] },
    })
    const again = TokenSet.fromJSON(JSON.parse(JSON.stringify(set)))
    expect(again.toJSON()).toEqual(set.toJSON())
    expect(again.issuedAt).toBe(1_899_996_400)
    expect(again.dpopJkt).toBe('jkt')
    expect(again.tokenType).toBe('DPoP')
    expect(again.claims()).toEqual(claims)
  })

  it('omits absent members from JSON', () => {
    expect(new TokenSet({ accessToken: 'at', tokenType: 'Bearer' }).toJSON()).toEqual({
      accessToken: 'at',
      tokenType: 'Bearer',
    })
  })

  it('computes expiry with skew, and never expires without expiresAt', () => {
    const set = new TokenSet({ accessToken: 'at', tokenType: 'bearer', expiresAt: 1000 })
    expect(set.expiresIn(900)).toBe(100)
    expect(set.isExpired(0, 999)).toBe(false)
    expect(set.isExpired(0, 1000)).toBe(true)
    expect(set.isExpired(30, 970)).toBe(true)
    expect(set.isExpired(30, 969)).toBe(false)
    const unknown = new TokenSet({ accessToken: 'at', tokenType: 'Bearer' })
    expect(unknown.isExpired(60)).toBe(false)
    expect(unknown.expiresIn()).toBeUndefined()
  })

  it('caps the renewal skew at half the lifetime when issuedAt is known', () => {
    const short = new TokenSet({
      accessToken: 'a',
      tokenType: 'Bearer',
      issuedAt: 1000,
      expiresAt: 1045,
    })
    expect(short.renewalSkew(60)).toBe(22.5)
    expect(short.needsRenewal(60, 1010)).toBe(false)
    expect(short.needsRenewal(60, 1023)).toBe(true)
    const long = new TokenSet({ ...short.toJSON(), expiresAt: 4600 })
    expect(long.renewalSkew(60)).toBe(60)
    expect(long.needsRenewal(60, 4539)).toBe(false)
    expect(long.needsRenewal(60, 4540)).toBe(true)
    // Unknown lifetime: the skew as given.
    const unknown = new TokenSet({ accessToken: 'a', tokenType: 'Bearer', expiresAt: 1045 })
    expect(unknown.renewalSkew(60)).toBe(60)
    expect(unknown.needsRenewal(60, 990)).toBe(true)
    expect(TokenSet.fromJSON(short.toJSON()).issuedAt).toBe(1000)
    expect(() => TokenSet.fromJSON({ ...short.toJSON(), issuedAt: 'soon' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('hands out copies of the claims', () => {
    const set = new TokenSet({ accessToken: 'at', tokenType: 'Bearer', idTokenClaims: claims })
    const c = set.claims()!
    c.sub = 'mallory'
    expect(set.claims()?.sub).toBe('u1')
  })

  it.each([
    null,
    42,
    'x',
    [],
    {},
    { accessToken: 1, tokenType: 'Bearer' },
    { accessToken: 'a', tokenType: '' },
    { accessToken: 'a', tokenType: 'Bearer', expiresAt: 'soon' },
    { accessToken: 'a', tokenType: 'Bearer', expiresAt: Number.NaN },
    { accessToken: 'a', tokenType: 'Bearer', refreshToken: 5 },
    { accessToken: 'a', tokenType: 'Bearer', idTokenClaims: { sub: 'x' } },
    { accessToken: 'a', tokenType: 'Bearer', extra: [] },
  ])('fromJSON refuses %j with INVALID_ARGUMENT', (value) => {
    expect(() => TokenSet.fromJSON(value)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('fromJSON never throws anything but a typed error (fuzz)', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        try {
          TokenSet.fromJSON(value)
        } catch (error) {
          expect(error).toBeInstanceOf(OpenRpError)
        }
      }),
      { numRuns: 2000 },
    )
  })
})
