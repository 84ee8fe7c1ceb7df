/**
 * `prompt=consent` (OIDC Core §3.1.2.1): the consent page is shown again although the user
 * consented before, and denying there answers `access_denied`. Driven over HTTP with the
 * server's own login helper and a cookie jar standing in for the browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CompleteLoginError,
  CookieJar,
  completeLogin,
  DEMO_CLIENTS,
  type ReferenceServer,
  startReferenceServer,
} from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import { authorizeUrl, tokenRequest } from './helpers.ts'

const REDIRECT = 'http://127.0.0.1:4001/callback.html'
const spa = DEMO_CLIENTS.find((c) => c.client_id === 'spa')!

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    clients: [...DEMO_CLIENTS, { ...spa, client_id: 'first-party', skip_consent: true }],
  })
})
afterAll(() => server.close())

/** Signs alice in and approves the consent page; the jar then holds a provider session. */
async function signedInWithConsent(): Promise<CookieJar> {
  const jar = new CookieJar()
  const { url } = await authorizeUrl(server.issuer, {})
  const first = await completeLogin(url, { cookieJar: jar })
  expect(first.params.get('code')).toBeTruthy()
  return jar
}

/** The rejection code of `completeLogin` when it must not answer the consent page. */
async function withoutConsent(
  url: URL,
  jar: CookieJar,
  username = 'alice',
): Promise<string | URLSearchParams> {
  try {
    return (await completeLogin(url, { cookieJar: jar, consent: false, username })).params
  } catch (error) {
    if (error instanceof CompleteLoginError) return error.code
    throw error
  }
}

describe('prompt=consent', () => {
  it('a first request shows the consent page; once consented, a later one does not', async () => {
    // bob never consents in this file.
    const { url } = await authorizeUrl(server.issuer, { prompt: undefined })
    expect(await withoutConsent(url, new CookieJar(), 'bob')).toBe('consent_shown')

    const signedIn = await signedInWithConsent()
    const again = await authorizeUrl(server.issuer, { prompt: undefined })
    const params = await withoutConsent(again.url, signedIn)
    expect(params).toBeInstanceOf(URLSearchParams)
    expect((params as URLSearchParams).get('code')).toBeTruthy()
  })

  it('shows the consent page again, to the signed-in user, although the scopes were consented', async () => {
    const jar = await signedInWithConsent()
    const { url } = await authorizeUrl(server.issuer, { prompt: 'consent' })
    // The session is reused (no login page); the next stop is the consent page.
    const first = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header()! } })
    expect(first.status).toBe(303)
    const next = new URL(first.headers.get('location')!, url)
    expect(next.pathname).toBe('/consent')
    const page = await fetch(next, { headers: { cookie: jar.header()! } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('data-openrp="consent"')

    const { url: again } = await authorizeUrl(server.issuer, { prompt: 'consent' })
    expect(await withoutConsent(again, jar)).toBe('consent_shown')
  })

  it('approving at the consent page completes the login with a code that redeems', async () => {
    const jar = await signedInWithConsent()
    const { url, verifier } = await authorizeUrl(server.issuer, { prompt: 'consent' })
    const result = await completeLogin(url, { cookieJar: jar })
    expect(result.params.get('state')).toBe('st-123')
    expect(result.params.get('iss')).toBe(server.issuer)
    const res = await tokenRequest(server.issuer, {
      grant_type: 'authorization_code',
      client_id: 'spa',
      code: result.params.get('code')!,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    })
    expect(res.status).toBe(200)
    expect(res.body.access_token).toEqual(expect.any(String))
  })

  it('denying at the consent page answers access_denied with state and iss, and no code', async () => {
    const jar = await signedInWithConsent()
    const { url } = await authorizeUrl(server.issuer, { prompt: 'consent', state: 'st-deny' })
    const result = await completeLogin(url, { cookieJar: jar, deny: true })
    expect(result.url.origin + result.url.pathname).toBe(REDIRECT)
    expect(result.params.get('error')).toBe('access_denied')
    expect(result.params.get('state')).toBe('st-deny')
    expect(result.params.get('iss')).toBe(server.issuer)
    expect(result.params.get('code')).toBeNull()
  })

  it('prompt="login consent" asks for both, even with a session and earlier consent', async () => {
    const jar = await signedInWithConsent()
    const { url } = await authorizeUrl(server.issuer, { prompt: 'login consent' })
    const first = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header()! } })
    expect(new URL(first.headers.get('location')!, url).pathname).toBe('/login')
    const { url: again } = await authorizeUrl(server.issuer, { prompt: 'login consent' })
    expect(await withoutConsent(again, jar)).toBe('consent_shown')
  })

  it('a first-party client (skip_consent) is never shown the consent page, even with prompt=consent', async () => {
    const { url } = await authorizeUrl(server.issuer, {
      client_id: 'first-party',
      prompt: 'consent',
    })
    const params = await withoutConsent(url, new CookieJar())
    expect(params).toBeInstanceOf(URLSearchParams)
    expect((params as URLSearchParams).get('code')).toBeTruthy()
  })
})
