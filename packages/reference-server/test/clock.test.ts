import { ManualClock, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { completeLogin, type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { authorizeUrl, claims, type Json, passwordTokens, tokenRequest } from './helpers.ts'

const clock = new ManualClock(Date.UTC(2030, 5, 1))
let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    clock,
    accessTokenTtl: 300,
    refreshTokenTtl: 3_600,
    deviceCodeTtl: 120,
    deviceInterval: 5,
  })
})
afterAll(() => server.close())

const seconds = () => Math.floor(clock.now() / 1000)
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

it('tokens carry iat / exp of the injected clock, and expire by it', async () => {
  const { body } = await passwordTokens(server.issuer, 'openid offline_access')
  expect(claims(body.access_token)).toMatchObject({ iat: seconds(), exp: seconds() + 300 })
  expect(claims(body.id_token).iat).toBe(seconds())
  const introspect = (token: string) =>
    fetch(`${server.issuer}/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token,
        client_id: 'legacy-password',
        client_secret: 'password-secret',
      }),
    }).then((r) => r.json() as Promise<Json>)
  expect((await introspect(body.access_token)).active).toBe(true)
  await clock.advance(301_000)
  expect((await introspect(body.access_token)).active).toBe(false)
  await clock.advance(3_300_000) // past the refresh token's hour
  const late = await tokenRequest(server.issuer, {
    grant_type: 'refresh_token',
    client_id: 'legacy-password',
    client_secret: 'password-secret',
    refresh_token: body.refresh_token,
  })
  expect(late.body.error).toBe('invalid_grant')
})

it('an authorization code expires by the injected clock', async () => {
  const { url, verifier } = await authorizeUrl(server.issuer, {})
  const { params } = await completeLogin(url)
  await clock.advance(61_000)
  const res = await tokenRequest(server.issuer, {
    grant_type: 'authorization_code',
    client_id: 'spa',
    code: params.get('code') ?? '',
    redirect_uri: 'http://127.0.0.1:4001/callback.html',
    code_verifier: verifier,
  })
  expect(res.body.error).toBe('invalid_grant')
})

it('device flow: interval, slow_down and expiry follow the injected clock', async () => {
  const started = await fetch(`${server.issuer}/device_authorization`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'tv', scope: 'openid' }),
  }).then((r) => r.json() as Promise<Json>)
  const poll = () =>
    tokenRequest(server.issuer, {
      grant_type: DEVICE_GRANT,
      client_id: 'tv',
      device_code: started.device_code,
    })
  expect((await poll()).body.error).toBe('authorization_pending')
  await clock.advance(4_999)
  const fast = await poll()
  expect(fast.body.error).toBe('slow_down')
  expect(fast.body.error_description).toContain('10 s')
  await clock.advance(10_000)
  expect((await poll()).body.error).toBe('authorization_pending')
  await clock.advance(107_000) // 122 s in all: past the 120 s code
  expect((await poll()).body.error).toBe('expired_token')
  const log = server.control.requests({ endpoint: 'token', grantType: DEVICE_GRANT })
  expect(log.at(-1)?.time).toBe(clock.now())
})

it('setClockOffset still shifts the injected clock', async () => {
  server.control.setClockOffset(100)
  try {
    const { body } = await passwordTokens(server.issuer, 'openid')
    expect(claims(body.access_token).iat).toBe(seconds() + 100)
  } finally {
    server.control.setClockOffset(0)
  }
})
