import { importJWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  completeLogin,
  DEMO_ASSERTION_ISSUER,
  DEMO_PRIVATE_KEY_JWK,
  type ReferenceServer,
  startReferenceServer,
} from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import { basic, claims, loginTokens, tokenRequest } from './helpers.ts'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    grants: {
      'urn:example:always-bob': () => ({ sub: 'bob-sub', scope: 'api:read' }),
      'urn:example:refuse': () => ({ error: 'invalid_grant', error_description: 'no' }),
    },
  })
})
afterAll(() => server.close())

const exchangeAuth = { client_id: 'exchange', client_secret: 'exchange-secret' }
const TE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const AT = 'urn:ietf:params:oauth:token-type:access_token'
const ID = 'urn:ietf:params:oauth:token-type:id_token'
const JWT = 'urn:ietf:params:oauth:token-type:jwt'

describe('password grant', () => {
  const auth = { client_id: 'legacy-password', client_secret: 'password-secret' }
  /** alice's password grant, sent with `client` credentials. */
  const passwordGrant = (client: Record<string, string>, password: string, extra = {}) =>
    tokenRequest(server.issuer, {
      ...client,
      grant_type: 'password',
      username: 'alice',
      password,
      ...extra,
    })
  it('issues tokens for the right password, only to a client registered for it', async () => {
    const ok = await passwordGrant(auth, 'wonderland', { scope: 'openid offline_access' })
    expect(ok.status).toBe(200)
    expect(claims(ok.body.id_token).sub).toBe('a1c3b7e2-5f0d-4c7e-9a51-0a11ce000001')
    expect(ok.body.refresh_token).toBeTypeOf('string')
    const wrong = await passwordGrant(auth, 'nope')
    expect(wrong.body.error).toBe('invalid_grant')
    const other = await passwordGrant(exchangeAuth, 'wonderland')
    expect(other.body.error).toBe('unauthorized_client')
  })
})

describe('JWT bearer (RFC 7523)', () => {
  const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
  async function assertion(claimsOver: Record<string, unknown> = {}, iss = DEMO_ASSERTION_ISSUER) {
    const key = await importJWK(DEMO_PRIVATE_KEY_JWK, 'ES256')
    return new SignJWT({
      iss,
      sub: 'user-from-idp',
      aud: server.issuer,
      exp: Math.floor(Date.now() / 1000) + 120,
      jti: crypto.randomUUID(),
      ...claimsOver,
    })
      .setProtectedHeader({ alg: 'ES256', kid: DEMO_PRIVATE_KEY_JWK.kid })
      .sign(key)
  }
  const send = async (a: string) =>
    tokenRequest(server.issuer, {
      ...exchangeAuth,
      grant_type: GRANT,
      assertion: a,
      scope: 'api:read',
    })

  it('issues a token for the assertion subject; replay is refused', async () => {
    const a = await assertion()
    const ok = await send(a)
    expect(ok.status).toBe(200)
    expect(claims(ok.body.access_token)).toMatchObject({ sub: 'user-from-idp', scope: 'api:read' })
    expect((await send(a)).body.error).toBe('invalid_grant')
  })

  it('refuses untrusted issuers, wrong audience, expired and missing jti', async () => {
    for (const bad of [
      await assertion({}, 'https://unknown.example.test'),
      await assertion({ aud: 'https://other.example.test' }),
      await assertion({ exp: Math.floor(Date.now() / 1000) - 60 }),
      await assertion({ jti: undefined }),
      'not-a-jwt',
    ]) {
      expect((await send(bad)).body.error).toBe('invalid_grant')
    }
  })
})

describe('token exchange (RFC 8693)', () => {
  async function userToken() {
    const res = await loginTokens(server.issuer, completeLogin, {
      scope: 'openid profile api:read',
    })
    return res.body as { access_token: string; id_token: string }
  }
  /** A token exchange (RFC 8693 §2.1) by the `exchange` client; `extra` adds parameters. */
  const exchange = (subjectToken: string, subjectTokenType: string, extra = {}) =>
    tokenRequest(server.issuer, {
      ...exchangeAuth,
      grant_type: TE,
      subject_token: subjectToken,
      subject_token_type: subjectTokenType,
      ...extra,
    })
  async function m2mToken() {
    const res = await tokenRequest(
      server.issuer,
      { grant_type: 'client_credentials' },
      { authorization: basic('m2m', 'm2m-secret') },
    )
    return res.body.access_token as string
  }

  it('impersonation: same sub, narrowed scope, audience, issued_token_type', async () => {
    const { access_token } = await userToken()
    const res = await exchange(access_token, AT, {
      audience: 'https://downstream.example.test',
      scope: 'api:read',
    })
    expect(res.status).toBe(200)
    expect(res.body.issued_token_type).toBe(AT)
    expect(res.body.token_type).toBe('Bearer')
    const c = claims(res.body.access_token)
    expect(c).toMatchObject({
      sub: claims(access_token).sub,
      aud: 'https://downstream.example.test',
      scope: 'api:read',
      client_id: 'exchange',
    })
    expect(c.act).toBeUndefined()
  })

  it('delegation: actor_token gives an act claim', async () => {
    const { access_token } = await userToken()
    const res = await exchange(access_token, AT, {
      actor_token: await m2mToken(),
      actor_token_type: AT,
    })
    expect(res.status).toBe(200)
    expect(claims(res.body.access_token).act).toEqual({ sub: 'm2m' })
    // A second hop nests the previous actor.
    const again = await exchange(res.body.access_token, JWT, {
      actor_token: await m2mToken(),
      actor_token_type: AT,
    })
    expect(claims(again.body.access_token).act).toEqual({ sub: 'm2m', act: { sub: 'm2m' } })
  })

  it('requested_token_type id_token and jwt; id_token as subject', async () => {
    const { access_token, id_token } = await userToken()
    const asId = await exchange(access_token, AT, { requested_token_type: ID })
    expect(asId.body).toMatchObject({ issued_token_type: ID, token_type: 'N_A' })
    expect(claims(asId.body.access_token)).toMatchObject({
      aud: 'exchange',
      sub: claims(id_token).sub,
    })
    const fromId = await exchange(id_token, ID, { requested_token_type: JWT })
    expect(fromId.body.issued_token_type).toBe(JWT)
    expect(claims(fromId.body.access_token).sub).toBe(claims(id_token).sub)
  })

  it('refuses widened scope, unknown audience, bad tokens and types, lone actor_token', async () => {
    const { access_token } = await userToken()
    const base = {
      ...exchangeAuth,
      grant_type: TE,
      subject_token: access_token,
      subject_token_type: AT,
    }
    expect((await tokenRequest(server.issuer, { ...base, scope: 'api:write' })).body.error).toBe(
      'invalid_scope',
    )
    expect(
      (await tokenRequest(server.issuer, { ...base, audience: 'https://evil.example.test' })).body
        .error,
    ).toBe('invalid_target')
    expect(
      (await tokenRequest(server.issuer, { ...base, subject_token: `${access_token}x` })).body
        .error,
    ).toBe('invalid_request')
    expect(
      (await tokenRequest(server.issuer, { ...base, subject_token_type: 'urn:x' })).body.error,
    ).toBe('invalid_request')
    expect(
      (await tokenRequest(server.issuer, { ...base, requested_token_type: 'urn:x' })).body.error,
    ).toBe('invalid_request')
    expect(
      (await tokenRequest(server.issuer, { ...base, actor_token: access_token })).body.error,
    ).toBe('invalid_request')
  })

  it('answers invalid_request, not invalid_grant, for a subject or actor token it refuses (RFC 8693 §2.2.2)', async () => {
    const { access_token } = await userToken()
    const badSubject = await exchange(`${access_token}x`, AT)
    expect(badSubject.status).toBe(400)
    expect(badSubject.body.error).toBe('invalid_request')
    const badActor = await exchange(access_token, AT, {
      actor_token: 'not-a-token',
      actor_token_type: AT,
    })
    expect(badActor.status).toBe(400)
    expect(badActor.body.error).toBe('invalid_request')
  })

  it('refuses an empty actor_token instead of ignoring it (a delegation is no impersonation)', async () => {
    const { access_token } = await userToken()
    const res = await exchange(access_token, AT, { actor_token: '', actor_token_type: AT })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
  })
})

describe('vendor grants', () => {
  it('organization_switch returns a token for the same sub with org_id', async () => {
    const { body } = await loginTokens(server.issuer, completeLogin, { scope: 'openid api:read' })
    const res = await tokenRequest(server.issuer, {
      ...exchangeAuth,
      grant_type: 'organization_switch',
      token: body.access_token,
      switching_organization: 'org-42',
    })
    expect(res.status).toBe(200)
    expect(claims(res.body.access_token)).toMatchObject({
      sub: claims(body.access_token).sub,
      org_id: 'org-42',
    })
    const bad = await tokenRequest(server.issuer, {
      ...exchangeAuth,
      grant_type: 'organization_switch',
      token: 'nope',
      switching_organization: 'org-42',
    })
    expect(bad.body.error).toBe('invalid_grant')
  })

  it('custom grants from options.grants are advertised and run', async () => {
    const meta = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()
    expect(meta.grant_types_supported).toContain('urn:example:always-bob')
    expect(meta.grant_types_supported).toContain('organization_switch')
    const s = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      grants: { 'urn:example:always-bob': () => ({ sub: 'bob-sub', scope: 'api:read' }) },
      clients: [
        {
          client_id: 'v',
          client_secret: 'v-secret',
          token_endpoint_auth_method: 'client_secret_post',
          grant_types: ['urn:example:always-bob'],
          scope: 'api:read',
        },
      ],
    })
    try {
      const res = await tokenRequest(s.issuer, {
        grant_type: 'urn:example:always-bob',
        client_id: 'v',
        client_secret: 'v-secret',
      })
      expect(claims(res.body.access_token).sub).toBe('bob-sub')
    } finally {
      await s.close()
    }
  })
})
