import { ManualClock } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { base64url, exportJWK } from 'jose'
import { validateIdToken } from '../src/index.ts'
import { idTokenClaims, signJwt, type TestKey, testKey, unsignedJwt } from './helpers/keys.ts'
import { type StaticProvider, startStaticProvider } from './helpers/provider.ts'

let provider: StaticProvider
let key: TestKey

beforeAll(async () => {
  key = await testKey('k1')
  provider = await startStaticProvider([key])
})
afterAll(() => provider.close())

const claims = (extra: Record<string, unknown> = {}) =>
  idTokenClaims(provider.metadata.issuer, 'client-1', extra)

async function leftHalf(value: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)),
  )
  return base64url.encode(digest.slice(0, 16))
}

describe('validateIdToken', () => {
  it('accepts a good token and returns its claims', async () => {
    const core = provider.core()
    const token = await signJwt(claims(), { key })
    const result = await validateIdToken(core, token, { nonce: 'n-1' })
    expect(result.sub).toBe('user-1')
  })

  it.each([
    ['wrong iss', { iss: 'https://evil.test' }, 'ID_TOKEN_ISS_MISMATCH'],
    ['wrong aud', { aud: 'other' }, 'ID_TOKEN_AUD_MISMATCH'],
    ['second aud without azp', { aud: ['client-1', 'other'] }, 'ID_TOKEN_AZP_MISMATCH'],
    ['foreign azp', { aud: ['client-1', 'other'], azp: 'other' }, 'ID_TOKEN_AZP_MISMATCH'],
    ['wrong nonce', { nonce: 'n-2' }, 'ID_TOKEN_NONCE_MISMATCH'],
    ['missing nonce', { nonce: undefined }, 'ID_TOKEN_NONCE_MISMATCH'],
    ['expired', { exp: Math.floor(Date.now() / 1000) - 120 }, 'ID_TOKEN_EXPIRED'],
    ['missing exp', { exp: undefined }, 'ID_TOKEN_CLAIM_MISSING'],
    ['missing iss', { iss: undefined }, 'ID_TOKEN_CLAIM_MISSING'],
    ['missing aud', { aud: undefined }, 'ID_TOKEN_CLAIM_MISSING'],
    ['missing sub', { sub: undefined }, 'ID_TOKEN_CLAIM_MISSING'],
    ['missing iat', { iat: undefined }, 'ID_TOKEN_CLAIM_MISSING'],
    ['iat an hour ahead', { iat: Math.floor(Date.now() / 1000) + 3600 }, 'ID_TOKEN_IAT_INVALID'],
    ['iat an hour old', { iat: Math.floor(Date.now() / 1000) - 3600 }, 'ID_TOKEN_IAT_INVALID'],
  ])('refuses %s', async (_name, extra, code) => {
    const token = await signJwt(claims(extra), { key })
    await expect(validateIdToken(provider.core(), token, { nonce: 'n-1' })).rejects.toMatchObject({
      code,
    })
  })

  it('accepts iat and exp within the clock tolerance, refuses beyond', async () => {
    const now = Math.floor(Date.now() / 1000)
    const core = provider.core({ clockToleranceSec: 60 })
    const near = await signJwt(claims({ iat: now + 50, exp: now - 50 }), { key })
    await expect(validateIdToken(core, near, { nonce: 'n-1' })).resolves.toMatchObject({
      sub: 'user-1',
    })
    const far = await signJwt(claims({ iat: now + 90 }), { key })
    await expect(validateIdToken(core, far, { nonce: 'n-1' })).rejects.toMatchObject({
      code: 'ID_TOKEN_IAT_INVALID',
    })
  })

  it('refuses alg none and HMAC', async () => {
    await expect(validateIdToken(provider.core(), unsignedJwt(claims()))).rejects.toMatchObject({
      code: 'JWT_ALG_NOT_ALLOWED',
    })
    const secret = new TextEncoder().encode('client-secret-that-is-long-enough-for-hs256')
    const { SignJWT } = await import('jose')
    const hs = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(secret)
    await expect(validateIdToken(provider.core(), hs)).rejects.toMatchObject({
      code: 'JWT_ALG_NOT_ALLOWED',
    })
  })

  it('refuses a bad signature', async () => {
    const token = await signJwt(claims(), { key })
    const [h, p, s] = token.split('.')
    const flipped = `${h}.${p}.${s?.startsWith('A') ? `B${s.slice(1)}` : `A${s?.slice(1)}`}`
    await expect(validateIdToken(provider.core(), flipped)).rejects.toMatchObject({
      code: 'JWT_SIGNATURE_INVALID',
    })
  })

  it('refuses a token signed by an unlisted key with the same kid', async () => {
    const impostor = await testKey('k1')
    const token = await signJwt(claims(), { key: impostor })
    await expect(validateIdToken(provider.core(), token)).rejects.toMatchObject({
      code: 'JWT_SIGNATURE_INVALID',
    })
  })

  it('checks at_hash, c_hash and s_hash', async () => {
    const core = provider.core()
    const good = await signJwt(
      claims({
        at_hash: await leftHalf('AT'),
        c_hash: await leftHalf('CODE'),
        s_hash: await leftHalf('ST'),
      }),
      { key },
    )
    await expect(
      validateIdToken(core, good, { nonce: 'n-1', accessToken: 'AT', code: 'CODE', state: 'ST' }),
    ).resolves.toBeDefined()
    for (const [field, code] of [
      ['accessToken', 'ID_TOKEN_AT_HASH_MISMATCH'],
      ['code', 'ID_TOKEN_C_HASH_MISMATCH'],
      ['state', 'ID_TOKEN_S_HASH_MISMATCH'],
    ] as const) {
      const expected = {
        nonce: 'n-1',
        accessToken: 'AT',
        code: 'CODE',
        state: 'ST',
        [field]: 'OTHER',
      }
      await expect(validateIdToken(core, good, expected)).rejects.toMatchObject({ code })
    }
    const bare = await signJwt(claims(), { key })
    await expect(
      validateIdToken(core, bare, { nonce: 'n-1', accessToken: 'AT', requireAtHash: true }),
    ).rejects.toMatchObject({ code: 'ID_TOKEN_AT_HASH_MISMATCH' })
    await expect(
      validateIdToken(core, bare, { nonce: 'n-1', code: 'C', requireCHash: true }),
    ).rejects.toMatchObject({
      code: 'ID_TOKEN_C_HASH_MISMATCH',
    })
  })

  it('checks auth_time against max_age', async () => {
    const now = Math.floor(Date.now() / 1000)
    const core = provider.core()
    const missing = await signJwt(claims(), { key })
    await expect(
      validateIdToken(core, missing, { nonce: 'n-1', maxAge: 60 }),
    ).rejects.toMatchObject({
      code: 'ID_TOKEN_AUTH_TIME_INVALID',
    })
    const old = await signJwt(claims({ auth_time: now - 600 }), { key })
    await expect(validateIdToken(core, old, { nonce: 'n-1', maxAge: 60 })).rejects.toMatchObject({
      code: 'ID_TOKEN_AUTH_TIME_INVALID',
    })
    const fresh = await signJwt(claims({ auth_time: now - 10 }), { key })
    await expect(validateIdToken(core, fresh, { nonce: 'n-1', maxAge: 60 })).resolves.toBeDefined()
  })

  it('checks subject and issuer continuity', async () => {
    const token = await signJwt(claims(), { key })
    await expect(
      validateIdToken(provider.core(), token, { subject: 'user-2' }),
    ).rejects.toMatchObject({
      code: 'ID_TOKEN_SUB_MISMATCH',
    })
    await expect(
      validateIdToken(provider.core(), token, { previousIssuer: 'https://old.test' }),
    ).rejects.toMatchObject({
      code: 'ID_TOKEN_ISS_CHANGED',
    })
  })

  it('refuses malformed tokens with JWT_MALFORMED', async () => {
    for (const bad of ['', 'a.b', 'a.b.c', '...', `${base64url.encode('{"alg":')}.e30.x`]) {
      await expect(validateIdToken(provider.core(), bad)).rejects.toMatchObject({
        code: 'JWT_MALFORMED',
      })
    }
  })
})

describe('JWKS cache', () => {
  it('accepts a token without kid when the set has one key', async () => {
    const token = await signJwt(claims(), { key, noKid: true })
    await expect(validateIdToken(provider.core(), token, { nonce: 'n-1' })).resolves.toBeDefined()
  })

  it('a token without kid passes when a key jose will not use (RSA under 2048 bits) is listed first', async () => {
    // The token endpoint path leaves such keys out; the front channel tries the next key.
    const { publicKey, privateKey } = await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )
    const weak: TestKey = {
      kid: 'weak',
      alg: 'RS256',
      privateKey,
      publicJwk: { ...(await exportJWK(publicKey)), alg: 'RS256', use: 'sig' },
    }
    const { kid: _, ...withoutKid } = key.publicJwk
    const published = provider.keys
    provider.keys = [weak, { ...key, publicJwk: withoutKid }]
    try {
      const token = await signJwt(claims(), { key, noKid: true })
      await expect(
        validateIdToken(provider.core(), token, { nonce: 'n-1' }),
      ).resolves.toMatchObject({ sub: 'user-1' })
    } finally {
      provider.keys = published
    }
  })

  it('refetches once on an unknown kid (rotation), merging concurrent validations', async () => {
    const core = provider.core()
    await validateIdToken(core, await signJwt(claims(), { key }), { nonce: 'n-1' })
    const before = provider.server.count('/jwks')
    const rotated = await testKey('k2')
    provider.keys.push(rotated)
    const tokens = await Promise.all(
      Array.from({ length: 5 }, () => signJwt(claims(), { key: rotated })),
    )
    const results = await Promise.all(tokens.map((t) => validateIdToken(core, t, { nonce: 'n-1' })))
    expect(results).toHaveLength(5)
    expect(provider.server.count('/jwks') - before).toBe(1)
    provider.keys.pop()
  })

  it('does not hammer the JWKS URI with repeated unknown kids', async () => {
    const core = provider.core()
    await validateIdToken(core, await signJwt(claims(), { key }), { nonce: 'n-1' })
    const before = provider.server.count('/jwks')
    const stranger = await testKey('unknown-kid')
    for (let i = 0; i < 5; i++) {
      await expect(
        validateIdToken(core, await signJwt(claims(), { key: stranger }), { nonce: 'n-1' }),
      ).rejects.toMatchObject({ code: 'JWKS_NO_MATCHING_KEY' })
    }
    expect(provider.server.count('/jwks') - before).toBe(1)
  })
})

describe('JWKS max age', () => {
  it('fetches the set again once it is older than jwksMaxAgeMs (of the client clock)', async () => {
    const clock = new ManualClock(Date.now())
    const core = provider.core({ jwksMaxAgeMs: 200, clock })
    await validateIdToken(core, await signJwt(claims(), { key }), { nonce: 'n-1' })
    const before = provider.server.count('/jwks')
    await clock.advance(200)
    await validateIdToken(core, await signJwt(claims(), { key }), { nonce: 'n-1' })
    expect(provider.server.count('/jwks')).toBe(before)
    await clock.advance(1)
    await validateIdToken(core, await signJwt(claims(), { key }), { nonce: 'n-1' })
    expect(provider.server.count('/jwks')).toBe(before + 1)
  })
})
