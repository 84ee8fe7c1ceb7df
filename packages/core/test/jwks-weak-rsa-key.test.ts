/**
 * A provider whose only key for a token is an RSA key under 2048 bits, which openrp never
 * verifies with: the token endpoint path left it out (JWKS_NO_MATCHING_KEY, refetched by the
 * JWKS cache's rule), jose refused it only while verifying (JWT_MALFORMED, never refetched).
 * The JWKS cache leaves such keys out of the one set both paths see: JWKS_NO_MATCHING_KEY
 * (SECURITY.md) on both, and a provider that replaces the key is followed.
 */
import { ManualClock } from '@openrp/testkit'
import { exportJWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, isOpenRpError, validateIdToken } from '../src/index.ts'
import { idTokenClaims, signJwt, type TestKey, testKey } from './helpers/keys.ts'
import { type StaticProvider, startStaticProvider } from './helpers/provider.ts'
import { json } from './helpers/tiny-server.ts'

let provider: StaticProvider
let weak: TestKey

beforeAll(async () => {
  const pair = (await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 1024,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
  weak = { kid: 'k1', alg: 'RS256', privateKey: pair.privateKey, publicJwk }
  provider = await startStaticProvider([weak])
})
afterAll(() => provider.close())

/** jose signs with no RSA key under 2048 bits: signed with WebCrypto. */
async function signWeak(claims: Record<string, unknown>): Promise<string> {
  const b64u = (data: string | Uint8Array) => Buffer.from(data).toString('base64url')
  const input = `${b64u(JSON.stringify({ alg: 'RS256', kid: 'k1' }))}.${b64u(JSON.stringify(claims))}`
  const data = new TextEncoder().encode(input)
  const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', weak.privateKey, data)
  return `${input}.${b64u(new Uint8Array(signature))}`
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: unknown) => (isOpenRpError(error) ? error.code : `not typed: ${String(error)}`),
  )

describe('an RSA key under 2048 bits as the only key for a token', () => {
  it('is no key on the front channel and at the token endpoint alike, and is refetched', async () => {
    const clock = new ManualClock(Date.now())
    const claims = (key: TestKey) => {
      const iat = Math.floor(clock.now() / 1000)
      const base = idTokenClaims(provider.metadata.issuer, 'client-1', { iat, exp: iat + 300 })
      return key === weak ? signWeak(base) : signJwt(base, { key })
    }
    let idToken = ''
    provider.server.route('/token', (_req, res) =>
      json(res, 200, {
        access_token: 'at',
        token_type: 'Bearer',
        expires_in: 60,
        id_token: idToken,
      }),
    )
    const client = new Client(provider.metadata, { clientId: 'client-1', clock })
    idToken = await claims(weak)
    expect(await codeOf(validateIdToken(client.core, idToken, { nonce: 'n-1' }))).toBe(
      'JWKS_NO_MATCHING_KEY',
    )
    expect(provider.server.count('/jwks')).toBe(1)
    // The cache's one refetch for a token it has no key for, then the cooldown.
    expect(await codeOf(client.refresh('rt-1'))).toBe('JWKS_NO_MATCHING_KEY')
    expect(provider.server.count('/jwks')).toBe(2)
    expect(await codeOf(validateIdToken(client.core, idToken, { nonce: 'n-1' }))).toBe(
      'JWKS_NO_MATCHING_KEY',
    )
    expect(provider.server.count('/jwks')).toBe(2)

    // The provider publishes a good key under the same kid: the next token after the cooldown
    // refetches the set and passes.
    const good = await testKey('k1')
    provider.keys = [good]
    await clock.advance(client.core.options.jwksCooldownMs)
    idToken = await claims(good)
    expect(await codeOf(validateIdToken(client.core, idToken, { nonce: 'n-1' }))).toBe('ok')
    expect(provider.server.count('/jwks')).toBe(3)
  })
})
