/**
 * `id_token_hint` at the authorization endpoint (OpenID Connect Core §3.1.2.1): a positive
 * answer only when the user the hint names is the one signed in (or signs in); with
 * `prompt=none` and another user signed in, `login_required`. A hint that is not an ID token of
 * this server is `invalid_request`.
 */
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CookieJar,
  completeLogin,
  type ReferenceServer,
  startReferenceServer,
} from '../src/index.ts'
import { authorizeUrl, claims, tokenRequest } from './helpers.ts'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterAll(() => server.close())

/** An ID token of `username` (password grant of `legacy-password`). */
async function idTokenOf(username: 'alice' | 'bob'): Promise<string> {
  const { body } = await tokenRequest(server.issuer, {
    grant_type: 'password',
    client_id: 'legacy-password',
    client_secret: 'password-secret',
    username,
    password: username === 'alice' ? 'wonderland' : 'builder',
    scope: 'openid',
  })
  return body.id_token
}

/** alice signed in (and consented) in `jar`, and an ID token of hers. */
async function aliceSignedIn(): Promise<{ jar: CookieJar; idToken: string }> {
  const jar = new CookieJar()
  await completeLogin((await authorizeUrl(server.issuer, {})).url, { cookieJar: jar })
  return { jar, idToken: await idTokenOf('alice') }
}

/** The parameters the silent request delivers to the redirect URI. */
async function silent(jar: CookieJar, hint: string): Promise<URLSearchParams> {
  const { url } = await authorizeUrl(server.issuer, { prompt: 'none', id_token_hint: hint })
  const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header()! } })
  expect(res.status).toBe(303)
  return new URL(res.headers.get('location')!).searchParams
}

describe('id_token_hint (OpenID Connect Core §3.1.2.1)', () => {
  it("prompt=none with the signed-in user's hint answers with a code", async () => {
    const { jar, idToken } = await aliceSignedIn()
    expect((await silent(jar, idToken)).get('code')).toBeTruthy()
  })

  it('prompt=none with the hint of another user than the signed-in one is login_required', async () => {
    const { jar, idToken } = await aliceSignedIn()
    const bobToken = await idTokenOf('bob')
    expect(claims(bobToken).sub).not.toBe(claims(idToken).sub)
    const params = await silent(jar, bobToken)
    expect(params.get('code')).toBeNull()
    expect(params.get('error')).toBe('login_required')
    expect(params.get('state')).toBe('st-123')
  })

  it('without prompt=none, the hint of another user than the signed-in one asks for a login', async () => {
    const { jar } = await aliceSignedIn()
    const { url } = await authorizeUrl(server.issuer, { id_token_hint: await idTokenOf('bob') })
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header()! } })
    expect(res.status).toBe(303)
    expect(new URL(res.headers.get('location')!, server.issuer).pathname).toBe('/login')
  })

  it('a hint that is not an ID token of this server is invalid_request', async () => {
    const { jar, idToken } = await aliceSignedIn()
    const params = await silent(jar, `${idToken}x`)
    expect(params.get('code')).toBeNull()
    expect(params.get('error')).toBe('invalid_request')
  })
})
