// What a TV web app and the phone that approves it need from the provider: CORS for the TV's
// origin on the device endpoints, and a verification page that works on a phone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CookieJar,
  DEMO_TV_ORIGIN,
  type ReferenceServer,
  startReferenceServer,
} from '../src/index.ts'
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

async function startDevice(): Promise<{ user_code: string; verification_uri_complete: string }> {
  const res = await fetch(`${server.issuer}/device_authorization`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: DEMO_TV_ORIGIN },
    body: new URLSearchParams({ client_id: 'tv', scope: 'openid profile' }),
  })
  expect(res.status).toBe(200)
  expect(res.headers.get('access-control-allow-origin')).toBe(DEMO_TV_ORIGIN)
  return res.json()
}

describe('device flow from a TV web app', () => {
  it.each(['/device_authorization', '/token', '/userinfo', '/revoke'])(
    'allows %s from the demo TV origin by default (CORS preflight)',
    async (path) => {
      const res = await fetch(`${server.issuer}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin: DEMO_TV_ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      })
      expect(res.status).toBe(204)
      expect(res.headers.get('access-control-allow-origin')).toBe(DEMO_TV_ORIGIN)
    },
  )

  it('refuses other origins', async () => {
    const res = await fetch(`${server.issuer}/device_authorization`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:9', 'access-control-request-method': 'POST' },
    })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('follows the configured origins only when corsOrigins is given', async () => {
    const other = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      corsOrigins: ['http://127.0.0.1:5555'],
    })
    try {
      const res = await fetch(`${other.issuer}/device_authorization`, {
        method: 'OPTIONS',
        headers: { origin: DEMO_TV_ORIGIN, 'access-control-request-method': 'POST' },
      })
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
    } finally {
      await other.close()
    }
  })
})

describe('verification page on a phone', () => {
  const jar = new CookieJar()
  const go = async (url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers)
    if (jar.header()) headers.set('cookie', jar.header()!)
    const res = await fetch(new URL(url, server.issuer), { ...init, headers, redirect: 'manual' })
    jar.store(res)
    return res
  }

  it('verification_uri_complete carries the code through login to the confirmation', async () => {
    const d = await startDevice()
    const entry = await go(d.verification_uri_complete)
    expect(entry.status).toBe(303)
    const loginPage = await go(entry.headers.get('location')!)
    const loginHtml = await loginPage.text()
    expect(loginHtml).toContain('name="viewport" content="width=device-width, initial-scale=1"')
    expect(loginHtml).toMatch(/data-openrp="user-code">([A-Z-]+)</)
    expect(/data-openrp="user-code">([A-Z-]+)</.exec(loginHtml)?.[1]).toBe(d.user_code)
    const interaction = new URL(entry.headers.get('location')!, server.issuer).searchParams.get(
      'interaction',
    )!
    const login = await go('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ interaction, username: 'alice', password: 'wonderland' }),
    })
    const confirm = await (await go(login.headers.get('location')!)).text()
    expect(/data-openrp="user-code">([A-Z-]+)</.exec(confirm)?.[1]).toBe(d.user_code)
    expect(confirm).toContain('data-openrp="device-confirm"')
  })

  it('an expired or mistyped code comes back in the entry field, with phone-friendly input', async () => {
    const res = await go('/device?user_code=BBBB-BBBB')
    expect(res.status).toBe(400)
    const page = await res.text()
    expect(page).toMatch(/<input[^>]*id="user_code"[^>]*value="BBBB-BBBB"/)
    expect(page).toMatch(/<input[^>]*id="user_code"[^>]*autocapitalize="characters"/)
    expect(page).toContain('@media (max-width: 30rem)')
  })
})
