// verifyJwt: jose's jwtVerify over openrp's JWKS cache, its claim failures mapped to openrp
// codes (from jose's `claim` / `reason`). The registered-claim rules that
// internal/jwt-claims.ts used to hold, now checked once by jose.
import { CompactSign, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ClientCore } from '../src/client-core.ts'
import { systemClock } from '../src/clock.ts'
import { isOpenRpError } from '../src/errors.ts'
import { mapError } from '../src/internal/map-error.ts'
import type { JwksCache } from '../src/jwks.ts'
import { verifyJwt } from '../src/verify-jwt.ts'

const issuer = 'https://op.example'
const now = Math.floor(Date.now() / 1000)
const good = { iss: issuer, aud: 'spa', iat: now, exp: now + 300 }
let key: CryptoKey
let core: ClientCore

beforeAll(async () => {
  const pair = await generateKeyPair('ES256')
  key = pair.privateKey
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }
  const jwks: JwksCache = {
    fetchCount: 1,
    fresh: () => undefined,
    current: async () => ({ jwks: { keys: [jwk] }, generation: 1, at: Date.now() }),
    refetch: async () => undefined,
  }
  core = {
    metadata: { issuer },
    options: { clientId: 'spa', clockToleranceSec: 30, clock: systemClock },
    jwks,
  } as unknown as ClientCore
})

const sign = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(key)

async function codeOf(jwt: string, requiredClaims?: string[]): Promise<string | undefined> {
  try {
    await verifyJwt(core, jwt, { algorithms: ['ES256'], requiredClaims })
  } catch (error) {
    const mapped = mapError(error, 'id_token')
    return isOpenRpError(mapped) ? mapped.code : 'not mapped'
  }
  return undefined
}

describe('verifyJwt', () => {
  it('returns the claims of a good token; aud may be an array naming the client', async () => {
    expect((await verifyJwt(core, await sign(good), { algorithms: ['ES256'] })).payload).toEqual(
      good,
    )
    const many = { ...good, aud: ['api', 'spa'] }
    expect((await verifyJwt(core, await sign(many), { algorithms: ['ES256'] })).payload).toEqual(
      many,
    )
  })

  it.each([
    ['no iss', { ...good, iss: undefined }, 'ID_TOKEN_CLAIM_MISSING'],
    ['another iss', { ...good, iss: 'https://evil.example' }, 'ID_TOKEN_ISS_MISMATCH'],
    ['another aud', { ...good, aud: ['api'] }, 'ID_TOKEN_AUD_MISMATCH'],
    ['a string iat', { ...good, iat: String(now) }, 'ID_TOKEN_IAT_INVALID'],
    ['nbf beyond the tolerance', { ...good, nbf: now + 60 }, 'ID_TOKEN_IAT_INVALID'],
    ['exp beyond the tolerance', { ...good, exp: now - 31 }, 'ID_TOKEN_EXPIRED'],
    ['a string exp', { ...good, exp: String(now + 300) }, 'ID_TOKEN_EXPIRED'],
  ])('refuses %s', async (_name, claims, code) => {
    expect(await codeOf(await sign(claims))).toBe(code)
  })

  it('refuses a signed payload that is no JSON object with JWT_MALFORMED', async () => {
    const utf8 = (text: string) => new TextEncoder().encode(text)
    // A JSON array, JSON cut short, and bytes that are no UTF-8 at all.
    for (const payload of [
      utf8(JSON.stringify([good])),
      utf8('{"iss":'),
      Uint8Array.of(0x7b, 0xff, 0x7d),
    ]) {
      const jws = await new CompactSign(payload)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .sign(key)
      expect(await codeOf(jws)).toBe('JWT_MALFORMED')
    }
  })

  it('requires the claims asked for and accepts times within the tolerance', async () => {
    expect(await codeOf(await sign(good), ['sub'])).toBe('ID_TOKEN_CLAIM_MISSING')
    const edge = { ...good, nbf: now + 20, exp: now - 20 }
    expect((await verifyJwt(core, await sign(edge), { algorithms: ['ES256'] })).payload).toEqual(
      edge,
    )
  })

  it('refuses an alg outside the policy and an unknown key', async () => {
    await expect(verifyJwt(core, await sign(good), { algorithms: ['RS256'] })).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_JOSE_ALG_NOT_ALLOWED' }),
    )
    const other = await new SignJWT(good).setProtectedHeader({ alg: 'ES256', kid: 'k2' }).sign(key)
    expect(await codeOf(other)).toBe('JWKS_NO_MATCHING_KEY')
  })
})

describe('verifyJwt with a key set that stays loaded', () => {
  it('checks every later token with the key it picked for their header, as fully as the first', async () => {
    const pair = await generateKeyPair('ES256')
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }
    const set = { jwks: { keys: [jwk] }, generation: 1, at: Date.now() }
    const jwks: JwksCache = {
      fetchCount: 1,
      fresh: () => set,
      current: async () => set,
      refetch: async () => undefined,
    }
    const loaded = { ...core, jwks } as ClientCore
    const header = { alg: 'ES256', kid: 'k1' }
    const signed = (claims: Record<string, unknown>, signer = pair.privateKey) =>
      new SignJWT(claims).setProtectedHeader(header).sign(signer)
    const codeWith = async (jwt: string, algorithms = ['ES256']) => {
      try {
        await verifyJwt(loaded, jwt, { algorithms })
      } catch (error) {
        const mapped = mapError(error, 'id_token')
        return isOpenRpError(mapped) ? mapped.code : 'not mapped'
      }
      return undefined
    }
    expect(await codeWith(await signed(good))).toBeUndefined()
    expect(await codeWith(await signed({ ...good, exp: now + 600 }))).toBeUndefined()
    // The same header text from here on: the key is not searched again, nothing else is skipped.
    expect(await codeWith(await signed(good, key))).toBe('JWT_SIGNATURE_INVALID')
    expect(await codeWith(await signed({ ...good, aud: 'api' }))).toBe('ID_TOKEN_AUD_MISMATCH')
    expect(await codeWith(await signed(good), ['RS256'])).toBe('JWT_ALG_NOT_ALLOWED')
  })
})
