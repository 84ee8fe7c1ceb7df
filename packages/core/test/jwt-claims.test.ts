import { describe, expect, it } from 'vitest'
import { isOpenRpError } from '../src/errors.ts'
import { checkJwtClaims } from '../src/internal/jwt-claims.ts'

const checks = { issuer: 'https://op.example', audience: 'spa', clockTolerance: 30 }
const now = Math.floor(Date.now() / 1000)
const good = { iss: checks.issuer, aud: 'spa', iat: now, exp: now + 300 }
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    return isOpenRpError(error) ? error.code : `not an OpenRpError: ${String(error)}`
  }
  return undefined
}

describe('checkJwtClaims', () => {
  it('returns the claims of a good token; aud may be an array naming the client', () => {
    expect(checkJwtClaims(bytes(good), checks)).toEqual(good)
    const many = { ...good, aud: ['api', 'spa'] }
    expect(checkJwtClaims(bytes(many), checks)).toEqual(many)
  })

  it.each([
    ['a JSON array', bytes([good]), 'JWT_MALFORMED'],
    ['not JSON', new TextEncoder().encode('{"iss":'), 'JWT_MALFORMED'],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), 'JWT_MALFORMED'],
    ['no iss', bytes({ ...good, iss: undefined }), 'ID_TOKEN_CLAIM_MISSING'],
    ['another iss', bytes({ ...good, iss: 'https://evil.example' }), 'ID_TOKEN_ISS_MISMATCH'],
    ['another aud', bytes({ ...good, aud: ['api'] }), 'ID_TOKEN_AUD_MISMATCH'],
    ['a string iat', bytes({ ...good, iat: String(now) }), 'ID_TOKEN_IAT_INVALID'],
    ['nbf beyond the tolerance', bytes({ ...good, nbf: now + 60 }), 'ID_TOKEN_IAT_INVALID'],
    ['exp beyond the tolerance', bytes({ ...good, exp: now - 31 }), 'ID_TOKEN_EXPIRED'],
    ['a string exp', bytes({ ...good, exp: String(now + 300) }), 'ID_TOKEN_EXPIRED'],
  ])('refuses %s', (_name, payload, code) => {
    expect(codeOf(() => checkJwtClaims(payload, checks))).toBe(code)
  })

  it('requires the claims asked for and accepts times within the tolerance', () => {
    expect(codeOf(() => checkJwtClaims(bytes(good), { ...checks, requiredClaims: ['sub'] }))).toBe(
      'ID_TOKEN_CLAIM_MISSING',
    )
    const edge = { ...good, nbf: now + 20, exp: now - 20 }
    expect(checkJwtClaims(bytes(edge), checks)).toEqual(edge)
  })
})
