/**
 * Regression: an RFC 8707 `resource` in a code or refresh token request was not checked against
 * the grant: the code grant ignored it (the token named every resource of the authorization
 * request) and so did the refresh grant. Now a resource must be one the authorization request
 * named (or, when it named none, one the client may request), and on refresh one of the
 * original grant; otherwise `invalid_target` (RFC 8707 §2). The token is narrowed to it.
 */
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  completeLogin,
  DEMO_CLIENTS,
  type ReferenceServer,
  startReferenceServer,
} from '../src/index.ts'
import { authorizeUrl, claims, tokenRequest } from './helpers.ts'

const API = 'https://api.example.test'
const DOWNSTREAM = 'https://downstream.example.test'
const OTHER = 'https://other.example.test'
const spa = DEMO_CLIENTS.find((c) => c.client_id === 'spa')!

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    clients: [{ ...spa, allowed_audiences: [API, DOWNSTREAM, OTHER] }],
  })
})
afterAll(() => server.close())

/** A code of alice for `resources` (each its own `resource` parameter), and its verifier. */
async function code(resources: string[]) {
  const { url, verifier } = await authorizeUrl(server.issuer, {})
  for (const r of resources) url.searchParams.append('resource', r)
  const { params } = await completeLogin(url)
  return { code: params.get('code')!, verifier }
}

const exchange = (c: { code: string; verifier: string }, extra: Record<string, string> = {}) =>
  tokenRequest(server.issuer, {
    grant_type: 'authorization_code',
    client_id: 'spa',
    code: c.code,
    redirect_uri: 'http://127.0.0.1:4001/callback.html',
    code_verifier: c.verifier,
    ...extra,
  })

const refresh = (token: string, extra: Record<string, string> = {}) =>
  tokenRequest(server.issuer, {
    grant_type: 'refresh_token',
    client_id: 'spa',
    refresh_token: token,
    ...extra,
  })

const aud = (token: string) => [claims(token).aud].flat().sort()

describe('authorization code grant', () => {
  it('refuses a resource the authorization request did not name: invalid_target', async () => {
    const res = await exchange(await code([API, DOWNSTREAM]), { resource: OTHER })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_target')
  })

  it('narrows the access token to the resource asked for; the refresh token keeps the grant', async () => {
    const res = await exchange(await code([API, DOWNSTREAM]), { resource: DOWNSTREAM })
    expect(res.status).toBe(200)
    expect(aud(res.body.access_token)).toEqual([DOWNSTREAM])
    const other = await refresh(res.body.refresh_token, { resource: API })
    expect(other.status).toBe(200)
    expect(aud(other.body.access_token)).toEqual([API])
    const all = await refresh(other.body.refresh_token)
    expect(aud(all.body.access_token)).toEqual([API, DOWNSTREAM])
  })

  it('without a resource the token names every resource of the authorization request', async () => {
    const res = await exchange(await code([API, DOWNSTREAM]))
    expect(aud(res.body.access_token)).toEqual([API, DOWNSTREAM])
  })

  it('when the authorization request named none: a resource the client may request', async () => {
    const ok = await exchange(await code([]), { resource: API })
    expect(ok.status).toBe(200)
    expect(aud(ok.body.access_token)).toEqual([API])
    // That resource is now the grant's: a refresh may not name another.
    const widened = await refresh(ok.body.refresh_token, { resource: DOWNSTREAM })
    expect(widened.body.error).toBe('invalid_target')
    const refused = await exchange(await code([]), { resource: 'https://elsewhere.example.test' })
    expect(refused.status).toBe(400)
    expect(refused.body.error).toBe('invalid_target')
  })
})

describe('refresh token grant', () => {
  it('refuses a resource outside the original grant, without spending the refresh token', async () => {
    const first = await exchange(await code([API]))
    const wider = await refresh(first.body.refresh_token, { resource: DOWNSTREAM })
    expect(wider.status).toBe(400)
    expect(wider.body.error).toBe('invalid_target')
    const again = await refresh(first.body.refresh_token, { resource: API })
    expect(again.status).toBe(200)
    expect(aud(again.body.access_token)).toEqual([API])
  })

  it('refuses any resource when the grant named none', async () => {
    const first = await exchange(await code([]))
    expect(aud(first.body.access_token)).toEqual([server.issuer])
    const res = await refresh(first.body.refresh_token, { resource: API })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_target')
    expect((await refresh(first.body.refresh_token)).status).toBe(200)
  })
})
