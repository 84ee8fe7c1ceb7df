import { DEMO_USERS, type IdTokenFaults } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { discover, isOpenRpError } from '../src/index.ts'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const alice = DEMO_USERS[0]!
const spa = (extra = {}) =>
  h.client({
    clientId: 'spa',
    redirectUri: SPA_REDIRECT,
    scope: 'openid profile offline_access',
    ...extra,
  })

/** Logs in with an ID-token fault on the token endpoint; returns the handling promise. */
async function codeFlowWith(idToken: IdTokenFaults, options: { maxAge?: number } = {}) {
  const client = await spa()
  h.server.control.setFaults({ idToken: { ...idToken, only: { channel: 'token' } } })
  const { params, transaction } = await login(client, options)
  h.server.control.clearRequests()
  return client.handleAuthorizationResponse(params, transaction)
}

describe('ID tokens from the token endpoint are fully validated', () => {
  it.each<[string, IdTokenFaults, string]>([
    ['a bad signature', { badSignature: true }, 'JWT_SIGNATURE_INVALID'],
    ['alg none', { alg: 'none' }, 'JWT_ALG_NOT_ALLOWED'],
    ['alg HS256 keyed with the secret', { alg: 'HS256' }, 'JWT_ALG_NOT_ALLOWED'],
    ['a foreign iss', { iss: 'https://evil.example' }, 'ID_TOKEN_ISS_MISMATCH'],
    ['no iss', { iss: null }, 'ID_TOKEN_CLAIM_MISSING'],
    ['a foreign aud', { aud: 'other-client' }, 'ID_TOKEN_AUD_MISMATCH'],
    ['no aud', { aud: null }, 'ID_TOKEN_CLAIM_MISSING'],
    [
      'a secondary aud without azp',
      { aud: ['spa', 'other-client'], azp: null },
      'ID_TOKEN_AZP_MISMATCH',
    ],
    ['a foreign azp', { azp: 'other-client' }, 'ID_TOKEN_AZP_MISMATCH'],
    ['no sub', { sub: null }, 'ID_TOKEN_CLAIM_MISSING'],
    ['an expired token', { expOffset: -120 }, 'ID_TOKEN_EXPIRED'],
    ['no exp', { expOffset: null }, 'ID_TOKEN_CLAIM_MISSING'],
    ['iat an hour ahead', { iatOffset: 3600 }, 'ID_TOKEN_IAT_INVALID'],
    ['iat an hour old', { iatOffset: -3600, expOffset: 600 }, 'ID_TOKEN_IAT_INVALID'],
    ['no iat', { iatOffset: null }, 'ID_TOKEN_CLAIM_MISSING'],
    ['a wrong nonce', { nonce: 'other-nonce' }, 'ID_TOKEN_NONCE_MISMATCH'],
    ['no nonce', { nonce: null }, 'ID_TOKEN_NONCE_MISMATCH'],
    ['an unknown kid', { kid: 'unknown' }, 'JWKS_NO_MATCHING_KEY'],
    ['an unlisted key', { unlistedKey: true }, 'JWKS_NO_MATCHING_KEY'],
    ['a wrong at_hash', { atHash: 'wrong' }, 'ID_TOKEN_AT_HASH_MISMATCH'],
  ])('refuses %s', async (_name, fault, code) => {
    const error = await codeFlowWith(fault).catch((e) => e)
    expect(isOpenRpError(error)).toBe(true)
    expect(error.code).toBe(code)
    expect(h.server.control.requests({ endpoint: 'userinfo' })).toHaveLength(0)
  })

  it('refuses auth_time older than max_age, or missing with max_age', async () => {
    await expect(codeFlowWith({ authTimeOffset: -3600 }, { maxAge: 60 })).rejects.toMatchObject({
      code: 'ID_TOKEN_AUTH_TIME_INVALID',
    })
    await expect(codeFlowWith({ authTimeOffset: null }, { maxAge: 60 })).rejects.toMatchObject({
      code: 'ID_TOKEN_AUTH_TIME_INVALID',
    })
  })

  it('refetches the JWKS only once for an unknown kid', async () => {
    await expect(codeFlowWith({ kid: 'unknown' })).rejects.toMatchObject({
      code: 'JWKS_NO_MATCHING_KEY',
    })
    // a fresh client: the first fetch already is the current set, no second one
    expect(h.server.control.requests({ endpoint: 'jwks' })).toHaveLength(1)
  })

  it('accepts a token without kid while the JWKS has one key per alg, and after a rotation', async () => {
    await expect(codeFlowWith({ kid: 'missing' })).resolves.toMatchObject({ tokenType: 'Bearer' })
    await h.server.control.rotateKeys()
    await expect(codeFlowWith({ kid: 'missing' })).resolves.toMatchObject({ tokenType: 'Bearer' })
  })

  it('refuses a bad signature without kid when several keys fit (each one tried)', async () => {
    await h.server.control.rotateKeys()
    await expect(codeFlowWith({ kid: 'missing', badSignature: true })).rejects.toMatchObject({
      code: 'JWT_SIGNATURE_INVALID',
    })
  })

  it('follows a key rotation that happened just before signing (one refetch)', async () => {
    const client = await spa()
    const first = await login(client)
    await client.handleAuthorizationResponse(first.params, first.transaction)
    await h.server.control.rotateKeys()
    const second = await login(client)
    h.server.control.clearRequests()
    const tokens = await client.handleAuthorizationResponse(second.params, second.transaction)
    expect(tokens.claims()?.sub).toBe(alice.sub)
    expect(h.server.control.requests({ endpoint: 'jwks' })).toHaveLength(1)
  })
})

describe('front-channel checks', () => {
  it.each([
    [{ state: 'wrong' as const }, 'STATE_MISMATCH'],
    [{ state: 'missing' as const }, 'STATE_MISSING'],
    [{ iss: 'wrong' as const }, 'ISS_MISMATCH'],
    [{ iss: 'missing' as const }, 'ISS_MISSING'],
  ])('refuses %j without calling the token endpoint', async (fault, code) => {
    const client = await spa()
    h.server.control.setFaults({ authorizationResponse: fault })
    const { params, transaction } = await login(client)
    h.server.control.clearRequests()
    await expect(client.handleAuthorizationResponse(params, transaction)).rejects.toMatchObject({
      code,
    })
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })

  it('a replayed callback cannot redeem the code twice', async () => {
    const client = await spa()
    const { params, transaction } = await login(client)
    await client.handleAuthorizationResponse(params, transaction)
    await expect(client.handleAuthorizationResponse(params, transaction)).rejects.toMatchObject({
      code: 'INVALID_GRANT',
    })
  })

  it('turns login_required into InteractionRequiredError', async () => {
    const client = await spa()
    const { url, transaction } = await client.createAuthorizationRequest({ prompt: 'none' })
    const res = await fetch(url, { redirect: 'manual' })
    const location = new URL(res.headers.get('location')!)
    await expect(client.handleAuthorizationResponse(location, transaction)).rejects.toMatchObject({
      code: 'INTERACTION_REQUIRED',
      error: 'login_required',
    })
  })

  it('requires the transaction', async () => {
    const client = await spa()
    // @ts-expect-error testing bad input
    await expect(client.handleAuthorizationResponse('?code=x&state=y')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })
})

describe('discovery', () => {
  it('refuses a document naming another issuer', async () => {
    h.server.control.setFaults({ discoveryIssuer: 'https://evil.example' })
    await expect(spa()).rejects.toMatchObject({ code: 'DISCOVERY_ISSUER_MISMATCH' })
  })

  it('refuses plain http on a non-loopback host unless dangerously allowed', async () => {
    await expect(discover('http://op.example.test', { clientId: 'x' })).rejects.toMatchObject({
      code: 'INSECURE_ENDPOINT',
    })
  })
})

describe('refresh continuity', () => {
  async function refreshedWith(idToken: IdTokenFaults) {
    const client = await spa()
    const { params, transaction } = await login(client)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    h.server.control.setFaults({ idToken: { ...idToken, only: { grantType: 'refresh_token' } } })
    return client.refresh(tokens)
  }

  it('refuses a refreshed ID token about another subject', async () => {
    await expect(refreshedWith({ sub: 'someone-else' })).rejects.toMatchObject({
      code: 'ID_TOKEN_SUB_MISMATCH',
    })
  })

  it('refuses a refreshed ID token from another issuer', async () => {
    await expect(refreshedWith({ iss: 'https://evil.example' })).rejects.toMatchObject({
      code: 'ID_TOKEN_ISS_MISMATCH',
    })
  })

  it('refuses a refreshed ID token with a bad signature', async () => {
    await expect(refreshedWith({ badSignature: true })).rejects.toMatchObject({
      code: 'JWT_SIGNATURE_INVALID',
    })
  })
})

describe('userinfo', () => {
  async function tokens() {
    const client = await spa()
    const { params, transaction } = await login(client)
    return { client, tokens: await client.handleAuthorizationResponse(params, transaction) }
  }

  it("refuses another user's sub", async () => {
    const { client, tokens: t } = await tokens()
    h.server.control.setFaults({ userinfo: { sub: 'someone-else' } })
    await expect(client.userinfo(t)).rejects.toMatchObject({ code: 'USERINFO_SUB_MISMATCH' })
  })

  it('verifies signed userinfo and refuses a bad signature', async () => {
    const { client, tokens: t } = await tokens()
    h.server.control.setFaults({ userinfo: { signed: true } })
    await expect(client.userinfo(t)).resolves.toMatchObject({ sub: alice.sub })
    h.server.control.setFaults({ userinfo: { signed: true, badSignature: true } })
    await expect(client.userinfo(t)).rejects.toMatchObject({ code: 'JWT_SIGNATURE_INVALID' })
    h.server.control.setFaults({ userinfo: { signed: true, sub: 'someone-else' } })
    await expect(client.userinfo(t)).rejects.toMatchObject({ code: 'USERINFO_SUB_MISMATCH' })
  })
})
