/**
 * A provider whose only key for a token is a published private key (an RSA or EC JWK with
 * `d`) or an EC key that is no point of its curve (off the curve, or a coordinate of the
 * wrong length): jose refused such a set while verifying (JWKS_INVALID, never refetched) on
 * every JWT it checks (front-channel ID tokens, logout tokens, signed userinfo), while the
 * token endpoint path could not import the key and left it out (JWKS_NO_MATCHING_KEY). One
 * provider answer gave two codes. The JWKS cache leaves such keys out of the one set both
 * paths see: JWKS_NO_MATCHING_KEY (SECURITY.md) everywhere, with the cache's refetch rule.
 */
import { ManualClock } from '@openrp/testkit'
import { exportJWK, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BACKCHANNEL_LOGOUT_EVENT,
  Client,
  isOpenRpError,
  validateIdToken,
  validateLogoutToken,
} from '../src/index.ts'
import { idTokenClaims, signJwt, type TestKey, testKey } from './helpers/keys.ts'
import { type StaticProvider, startStaticProvider } from './helpers/provider.ts'
import { json } from './helpers/tiny-server.ts'

let provider: StaticProvider
let signed = ''

beforeAll(async () => {
  provider = await startStaticProvider([])
  provider.server.route('/token', (_req, res) =>
    json(res, 200, { access_token: 'at', token_type: 'Bearer', expires_in: 60, id_token: signed }),
  )
  provider.server.route('/userinfo', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/jwt' }).end(signed)
  })
})
afterAll(() => provider.close())

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
const bytesOf = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'))

/** `jwk` with the last byte of `y` changed: a point off the curve. */
function offCurve(jwk: JWK): JWK {
  const y = bytesOf(jwk.y as string)
  y[y.length - 1] = (y[y.length - 1] as number) ^ 1
  return { ...jwk, y: b64u(y) }
}

/** `jwk` with the first byte of `x` dropped: a coordinate shorter than the curve's. */
function shortX(jwk: JWK): JWK {
  return { ...jwk, x: b64u(bytesOf(jwk.x as string).subarray(1)) }
}

/** The signing key, published as `publish` makes its JWK. */
async function publishing(alg: 'RS256' | 'ES256', publish: (key: TestKey) => Promise<JWK>) {
  const key = await testKey('k1', alg)
  return { ...key, publicJwk: await publish(key) }
}

const withPrivatePart = async (key: TestKey) => ({
  ...key.publicJwk,
  ...(await exportJWK(key.privateKey)),
})

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: unknown) => {
      if (!isOpenRpError(error)) return `not typed: ${String(error)}`
      // A logout token's refusal names the check that failed in its cause (jose's code).
      const cause = (error.cause as { code?: unknown } | undefined)?.code
      return error.code === 'LOGOUT_TOKEN_INVALID' ? `${error.code} (${String(cause)})` : error.code
    },
  )

const cases: Array<[string, () => Promise<TestKey>]> = [
  ['an RSA private key', () => publishing('RS256', withPrivatePart)],
  ['an EC private key', () => publishing('ES256', withPrivatePart)],
  ['an EC key off its curve', () => publishing('ES256', async (k) => offCurve(k.publicJwk))],
  ['an EC key with a short x', () => publishing('ES256', async (k) => shortX(k.publicJwk))],
]

describe('a JWKS whose only fitting key cannot verify', () => {
  it.each(cases)('%s is no key on every path, and is refetched', async (_name, make) => {
    const key = await make()
    provider.keys = [key]
    const clock = new ManualClock(Date.now())
    const metadata = { ...provider.metadata, userinfo_signing_alg_values_supported: [key.alg] }
    const client = new Client(metadata, { clientId: 'client-1', clock })
    const iat = Math.floor(clock.now() / 1000)
    const claims = idTokenClaims(provider.metadata.issuer, 'client-1', { iat, exp: iat + 300 })
    const fetches = provider.server.count('/jwks')

    signed = await signJwt(claims, { key })
    // The jose path: a front-channel ID token, with the set fetched for it.
    expect(await codeOf(validateIdToken(client.core, signed, { nonce: 'n-1' }))).toBe(
      'JWKS_NO_MATCHING_KEY',
    )
    expect(provider.server.count('/jwks') - fetches).toBe(1)
    // The token endpoint path: the cache's one refetch for a token it has no key for.
    expect(await codeOf(client.refresh('rt-1'))).toBe('JWKS_NO_MATCHING_KEY')
    expect(provider.server.count('/jwks') - fetches).toBe(2)
    // Signed userinfo and logout tokens, on the jose path, during the cooldown.
    expect(await codeOf(client.userinfo('at'))).toBe('JWKS_NO_MATCHING_KEY')
    const logoutToken = await signJwt(
      {
        iss: provider.metadata.issuer,
        aud: 'client-1',
        iat,
        jti: crypto.randomUUID(),
        sub: 'user-1',
        events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      },
      { key, header: { typ: 'logout+jwt' } },
    )
    expect(await codeOf(validateLogoutToken(client.core, logoutToken))).toBe(
      'LOGOUT_TOKEN_INVALID (ERR_JWKS_NO_MATCHING_KEY)',
    )
    expect(provider.server.count('/jwks') - fetches).toBe(2)

    // The provider publishes the key as it should: after the cooldown the set is refetched.
    provider.keys = [await testKey('k1', key.alg)]
    await clock.advance(client.core.options.jwksCooldownMs)
    const good = provider.keys[0] as TestKey
    signed = await signJwt(claims, { key: good })
    expect(await codeOf(client.refresh('rt-1'))).toBe('ok')
    expect(provider.server.count('/jwks') - fetches).toBe(3)
    expect(await codeOf(validateIdToken(client.core, signed, { nonce: 'n-1' }))).toBe('ok')
  })

  it('keeps the good keys of the set beside the ones it leaves out', async () => {
    const good = await testKey('k2', 'ES256')
    const bad = await publishing('ES256', async (k) => offCurve(k.publicJwk))
    provider.keys = [bad, good]
    const client = new Client(provider.metadata, { clientId: 'client-1' })
    signed = await signJwt(idTokenClaims(provider.metadata.issuer, 'client-1'), { key: good })
    expect(await codeOf(validateIdToken(client.core, signed, { nonce: 'n-1' }))).toBe('ok')
    expect(await codeOf(client.refresh('rt-1'))).toBe('ok')
  })
})
