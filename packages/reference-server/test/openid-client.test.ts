/**
 * Conformance check with an independent client library: openid-client v6 runs the main flows
 * against the reference server over real HTTP.
 */
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { completeLogin, type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    deviceInterval: 1,
  })
})
afterAll(() => server.close())

const discover = (
  clientId: string,
  auth: oidc.ClientAuth,
  metadata: Partial<oidc.ClientMetadata> = {},
) =>
  oidc.discovery(new URL(server.issuer), clientId, metadata, auth, {
    execute: [oidc.allowInsecureRequests],
  })

const REDIRECT = 'http://127.0.0.1:4001/callback.html'

async function codeFlow(config: oidc.Configuration, scope = 'openid profile email offline_access') {
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const nonce = oidc.randomNonce()
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope,
    // OpenID Connect Core §11: offline_access needs prompt=consent.
    prompt: 'consent',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  })
  const { url: callback } = await completeLogin(url)
  return oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  })
}

describe('openid-client v6 against the reference server', () => {
  it('code + PKCE, userinfo, refresh with rotation (and reuse refused)', async () => {
    const config = await discover('spa', oidc.None())
    const tokens = await codeFlow(config)
    const claims = tokens.claims()!
    expect(claims.iss).toBe(server.issuer)
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)
    expect(info.email).toBe('alice@example.test')
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!)
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)
    expect(refreshed.claims()!.sub).toBe(claims.sub)
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
  })

  it('confidential client with client_secret_basic, PAR, introspection and revocation', async () => {
    const config = await discover('web', oidc.ClientSecretBasic('web-secret'))
    const verifier = oidc.randomPKCECodeVerifier()
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: 'http://127.0.0.1:4002/callback',
      scope: 'openid offline_access',
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    })
    const { url: callback } = await completeLogin(url)
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
    })
    const active = await oidc.tokenIntrospection(config, tokens.access_token)
    expect(active.active).toBe(true)
    await oidc.tokenRevocation(config, tokens.refresh_token!)
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false)
  })

  it('client credentials, with and without DPoP', async () => {
    const config = await discover('m2m', oidc.ClientSecretBasic('m2m-secret'))
    const plain = await oidc.clientCredentialsGrant(config, { scope: 'api:read' })
    expect(plain.token_type.toLowerCase()).toBe('bearer')
    const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair())
    const bound = await oidc.clientCredentialsGrant(config, { scope: 'api:read' }, { DPoP: dpop })
    expect(bound.token_type.toLowerCase()).toBe('dpop')
    const res = await oidc.fetchProtectedResource(
      config,
      bound.access_token,
      new URL(`${server.issuer}/api/data`),
      'GET',
      undefined,
      undefined,
      { DPoP: dpop },
    )
    expect(res.status).toBe(200)
  })

  it('DPoP nonce challenge is handled by the client', async () => {
    const s = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      requireDpopNonce: true,
    })
    try {
      const config = await oidc.discovery(
        new URL(s.issuer),
        'm2m',
        {},
        oidc.ClientSecretBasic('m2m-secret'),
        {
          execute: [oidc.allowInsecureRequests],
        },
      )
      const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair())
      const first = await oidc
        .clientCredentialsGrant(config, {}, { DPoP: dpop })
        .catch(async (err) => {
          // openid-client surfaces use_dpop_nonce once, having stored the nonce: retry.
          expect(err.error).toBe('use_dpop_nonce')
          return oidc.clientCredentialsGrant(config, {}, { DPoP: dpop })
        })
      expect(first.token_type.toLowerCase()).toBe('dpop')
      expect(s.control.requests({ endpoint: 'token' }).map((r) => r.status)).toEqual([400, 200])
    } finally {
      await s.close()
    }
  })

  it('device authorization grant', async () => {
    const config = await discover('tv', oidc.None())
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid profile' })
    setTimeout(() => server.control.approveDevice(device.user_code), 1500)
    const tokens = await oidc.pollDeviceAuthorizationGrant(config, device)
    expect(tokens.claims()!.sub).toBe('a1c3b7e2-5f0d-4c7e-9a51-0a11ce000001')
  }, 20_000)

  it('token exchange (delegation) through genericGrantRequest', async () => {
    const user = await codeFlow(await discover('spa', oidc.None()), 'openid api:read')
    const m2m = await oidc.clientCredentialsGrant(
      await discover('m2m', oidc.ClientSecretBasic('m2m-secret')),
    )
    const config = await discover('exchange', oidc.ClientSecretPost('exchange-secret'))
    const exchanged = await oidc.genericGrantRequest(
      config,
      'urn:ietf:params:oauth:grant-type:token-exchange',
      {
        subject_token: user.access_token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        actor_token: m2m.access_token,
        actor_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: 'https://api.example.test',
        scope: 'api:read',
      },
    )
    expect(exchanged.issued_token_type).toBe('urn:ietf:params:oauth:token-type:access_token')
    // Introspected by the client it was issued to (another client would see active: false).
    const info = await oidc.tokenIntrospection(config, exchanged.access_token)
    expect(info).toMatchObject({ active: true, sub: user.claims()!.sub, act: { sub: 'm2m' } })
  })

  it('RP-initiated logout URL is accepted', async () => {
    const config = await discover('spa', oidc.None())
    const tokens = await codeFlow(config, 'openid')
    const url = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'http://127.0.0.1:4001/',
      state: 'bye',
    })
    const res = await fetch(url, { redirect: 'manual' })
    expect(res.headers.get('location')).toBe('http://127.0.0.1:4001/?state=bye')
  })
})
