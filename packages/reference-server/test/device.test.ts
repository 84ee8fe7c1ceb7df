import { ManualClock, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { CookieJar, type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { claims, type Json, tokenRequest } from './helpers.ts'

// The server's time is driven by hand: the interval checks need no waiting.
const clock = new ManualClock(Date.now())
let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    deviceInterval: 1,
    clock,
  })
})
afterAll(() => server.close())

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

async function start(scope = 'openid profile offline_access'): Promise<Json> {
  const res = await fetch(`${server.issuer}/device_authorization`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'tv', scope }),
  })
  expect(res.status).toBe(200)
  return res.json()
}

const poll = (deviceCode: string) =>
  tokenRequest(server.issuer, {
    grant_type: DEVICE_GRANT,
    client_id: 'tv',
    device_code: deviceCode,
  })

it('answers the RFC 8628 device authorization response', async () => {
  const d = await start()
  expect(d.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
  expect(d.verification_uri).toBe(`${server.issuer}/device`)
  expect(d.verification_uri_complete).toContain(encodeURIComponent(d.user_code))
  expect(d).toMatchObject({ expires_in: 600, interval: 1 })
})

it('pending, then slow_down when polled too fast (interval + 5 s), then tokens after approval', async () => {
  const d = await start()
  const pending = await poll(d.device_code)
  expect(pending.body.error).toBe('authorization_pending')
  const fast = await poll(d.device_code)
  expect(fast.body.error).toBe('slow_down')
  expect(fast.body.error_description).toContain('6 s')
  server.control.approveDevice(d.user_code)
  await clock.advance(6_100)
  const done = await poll(d.device_code)
  expect(done.status).toBe(200)
  expect(claims(done.body.id_token).sub).toBe('a1c3b7e2-5f0d-4c7e-9a51-0a11ce000001')
  expect(done.body.refresh_token).toBeTypeOf('string')
  expect((await poll(d.device_code)).body.error).toBe('invalid_grant')
  const log = server.control.requests({ endpoint: 'token', grantType: DEVICE_GRANT })
  expect(log.filter((r) => r.userCode === d.user_code).length).toBe(4)
})

it('enforces the raised interval after an injected slow_down too (RFC 8628 §3.5: + 5 s)', async () => {
  const d = await start()
  server.control.approveDevice(d.user_code)
  server.control.setFaults({ device: { slowDown: 1 } })
  try {
    expect((await poll(d.device_code)).body.error).toBe('slow_down')
    // A client that kept polling every second (the old interval) must slow down again.
    await clock.advance(1_100)
    const early = await poll(d.device_code)
    expect(early.body.error).toBe('slow_down')
    expect(early.body.error_description).toContain('11 s')
    await clock.advance(11_100)
    expect((await poll(d.device_code)).status).toBe(200)
  } finally {
    server.control.resetFaults()
  }
})

it('access_denied after denial, expired_token after expiry', async () => {
  const denied = await start()
  server.control.denyDevice(denied.user_code)
  expect((await poll(denied.device_code)).body.error).toBe('access_denied')
  const late = await start()
  server.control.setClockOffset(601)
  try {
    expect((await poll(late.device_code)).body.error).toBe('expired_token')
  } finally {
    server.control.setClockOffset(0)
  }
  expect(() => server.control.approveDevice('ZZZZ-ZZZZ')).toThrow()
})

it('the user approves on the /device page after logging in', async () => {
  const d = await start('openid')
  const jar = new CookieJar()
  const go = async (url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers)
    if (jar.header()) headers.set('cookie', jar.header()!)
    const res = await fetch(new URL(url, server.issuer), { ...init, headers, redirect: 'manual' })
    jar.store(res)
    return res
  }
  const entry = await go(`/device?user_code=${d.user_code.toLowerCase().replace('-', '')}`)
  expect(entry.status).toBe(303)
  const loginUrl = entry.headers.get('location')!
  const interaction = new URL(loginUrl, server.issuer).searchParams.get('interaction')!
  const login = await go('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ interaction, username: 'bob', password: 'builder' }),
  })
  const confirm = await go(login.headers.get('location')!)
  expect(await confirm.text()).toContain(d.user_code)
  const approve = await go('/device', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user_code: d.user_code, decision: 'approve' }),
  })
  expect(approve.status).toBe(200)
  const done = await poll(d.device_code)
  expect(claims(done.body.access_token).sub).toBe('b0b0b0b0-1111-4222-8333-b0b000000002')
  const unknown = await go('/device?user_code=BBBB-BBBB')
  expect(unknown.status).toBe(400)
})

it('refuses the device flow to clients not registered for it', async () => {
  const res = await fetch(`${server.issuer}/device_authorization`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'spa' }),
  })
  expect(res.status).toBe(400)
  expect((await res.json()).error).toBe('unauthorized_client')
})
