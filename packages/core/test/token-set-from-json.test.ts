// TokenSet.fromJSON hands the checked value to the constructor, which takes only the members it
// knows: these pin what a set read back from a store may carry, and the message of each refusal.
import { describe, expect, it } from 'vitest'
import { TokenSet } from '../src/token-set.ts'

const base = { accessToken: 'at', tokenType: 'bearer' }

describe('TokenSet.fromJSON', () => {
  it('keeps every known member and drops unknown ones', () => {
    const json = {
      ...base,
      expiresAt: 2000,
      issuedAt: 1000,
      refreshToken: 'rt',
      idToken: 'a.b.c',
      idTokenClaims: { iss: 'https://op', sub: 'u1', aud: 'c', exp: 2000, iat: 1000 },
      scope: 'openid',
      issuedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
      dpopJkt: 'jkt',
      extra: { authorization_details: [] },
      unknown: 'dropped',
      toJSON: 'not a method',
    }
    const set = TokenSet.fromJSON(json)
    const { unknown: _u, toJSON: _t, ...known } = json
    expect(set.toJSON()).toEqual({ ...known, tokenType: 'Bearer' })
    expect(Object.keys(set.toJSON())).toEqual(Object.keys(known))
    expect('unknown' in set).toBe(false)
    expect(typeof set.toJSON).toBe('function')
  })

  it('gives the set its members as own properties, in the same order, even undefined ones', () => {
    const set = TokenSet.fromJSON(base)
    expect(Object.keys(set)).toEqual([
      'accessToken',
      'tokenType',
      'expiresAt',
      'issuedAt',
      'refreshToken',
      'idToken',
      'scope',
      'issuedTokenType',
      'dpopJkt',
      'extra',
    ])
    expect(Object.getOwnPropertyDescriptor(set, 'refreshToken')).toMatchObject({
      value: undefined,
      writable: true,
      enumerable: true,
    })
  })

  it('round-trips the ID-token-only set of an id_token response (empty accessToken, type none)', () => {
    const set = new TokenSet({ accessToken: '', tokenType: 'none', idToken: 'a.b.c' })
    expect(TokenSet.fromJSON(set.toJSON()).toJSON()).toEqual(set.toJSON())
  })

  it.each([
    [null, 'is not an object'],
    [{ tokenType: 'Bearer' }, 'has no accessToken string'],
    [{ ...base, accessToken: '' }, 'has an empty accessToken'],
    [{ ...base, accessToken: '', idToken: 'a.b.c' }, 'has an empty accessToken'],
    [{ accessToken: '', tokenType: 'DPoP' }, 'has an empty accessToken'],
    [{ accessToken: '', tokenType: 'None' }, 'has an empty accessToken'],
    [{ accessToken: 'a', tokenType: '' }, 'has no tokenType'],
    [{ ...base, expiresAt: '5' }, 'has a non-numeric expiresAt'],
    [{ ...base, expiresAt: Number.POSITIVE_INFINITY }, 'has a non-numeric expiresAt'],
    [{ ...base, issuedAt: Number.NaN }, 'has a non-numeric issuedAt'],
    [{ ...base, refreshToken: 1 }, 'has a bad refreshToken'],
    [{ ...base, idToken: {} }, 'has a bad idToken'],
    [{ ...base, scope: ['openid'] }, 'has a bad scope'],
    [{ ...base, issuedTokenType: null }, 'has a bad issuedTokenType'],
    [{ ...base, dpopJkt: 7 }, 'has a bad dpopJkt'],
    [{ ...base, idTokenClaims: { iss: 'https://op' } }, 'has malformed idTokenClaims'],
    [{ ...base, extra: 'x' }, 'has a non-object extra'],
  ])('refuses %j: "TokenSet JSON %s" (INVALID_ARGUMENT)', (value, what) => {
    expect(() => TokenSet.fromJSON(value)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: `TokenSet JSON ${what}` }),
    )
  })
})
