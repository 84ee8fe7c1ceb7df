/**
 * A JWKS with entries that are no JSON object (`null`, a number, an array): jose refuses a whole
 * set with one (`createLocalJWKSet`), so every JWT verified through jose (front-channel ID
 * tokens, logout tokens, signed userinfo) failed with JWKS_INVALID until the set was refetched
 * (`jwksMaxAgeMs`), while the token endpoint path passed over them. The cache keeps one key set
 * of the usable keys, the one both paths see.
 */
import { ManualClock } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKCHANNEL_LOGOUT_EVENT, validateIdToken, validateLogoutToken } from '../src/index.ts'
import { idTokenClaims, signJwt, type TestKey, testKey } from './helpers/keys.ts'
import { type StaticProvider, startStaticProvider } from './helpers/provider.ts'
import { json } from './helpers/tiny-server.ts'

let provider: StaticProvider
let key: TestKey

beforeAll(async () => {
  key = await testKey('k1')
  provider = await startStaticProvider([key])
  provider.server.route('/jwks', (_req, res) =>
    json(res, 200, { keys: [null, 7, 'k0', [key.publicJwk], key.publicJwk] }),
  )
})
afterAll(() => provider.close())

describe('a JWKS with entries that are no object', () => {
  it('verifies front-channel ID tokens and logout tokens with the good keys', async () => {
    const clock = new ManualClock(Date.now())
    const core = provider.core({ clock })
    const iat = Math.floor(clock.now() / 1000)
    const claims = { ...idTokenClaims(provider.metadata.issuer, 'client-1'), iat, exp: iat + 300 }
    const idToken = await signJwt(claims, { key })
    await expect(validateIdToken(core, idToken, { nonce: 'n-1' })).resolves.toMatchObject({
      sub: 'user-1',
    })
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
    await expect(validateLogoutToken(core, logoutToken)).resolves.toMatchObject({ sub: 'user-1' })
    // No kid: the one usable key fits, the entries that are no key are passed over.
    const noKid = await signJwt(claims, { key, noKid: true })
    await expect(validateIdToken(core, noKid, { nonce: 'n-1' })).resolves.toBeDefined()
    expect(core.jwks.fetchCount).toBe(1)
  })
})
