import { afterAll, beforeAll, expect, it } from 'vitest'
import { completeLogin, type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import { claims, loginTokens, tokenRequest, userinfo } from './helpers.ts'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterAll(() => server.close())

const refresh = (token: string, extra: Record<string, string> = {}) =>
  tokenRequest(server.issuer, {
    grant_type: 'refresh_token',
    client_id: 'spa',
    refresh_token: token,
    ...extra,
  })

it('rotates the refresh token and keeps the same sub in the new ID token', async () => {
  const first = await loginTokens(server.issuer, completeLogin)
  const second = await refresh(first.body.refresh_token)
  expect(second.status).toBe(200)
  expect(second.body.refresh_token).not.toBe(first.body.refresh_token)
  expect(claims(second.body.id_token).sub).toBe(claims(first.body.id_token).sub)
  expect(claims(second.body.id_token).nonce).toBeUndefined()
  const third = await refresh(second.body.refresh_token)
  expect(third.status).toBe(200)
})

it('revokes the whole family when a rotated refresh token is reused', async () => {
  const first = await loginTokens(server.issuer, completeLogin)
  const second = await refresh(first.body.refresh_token)
  const reuse = await refresh(first.body.refresh_token)
  expect(reuse.status).toBe(400)
  expect(reuse.body.error).toBe('invalid_grant')
  expect((await refresh(second.body.refresh_token)).body.error).toBe('invalid_grant')
  expect((await userinfo(server.issuer, second.body.access_token)).status).toBe(401)
  expect((await userinfo(server.issuer, first.body.access_token)).status).toBe(401)
})

it('issues no refresh token without offline_access', async () => {
  const res = await loginTokens(server.issuer, completeLogin, { scope: 'openid profile' })
  expect(res.status).toBe(200)
  expect(res.body.refresh_token).toBeUndefined()
})

it('narrows scope on refresh and refuses widening', async () => {
  const first = await loginTokens(server.issuer, completeLogin)
  const narrowed = await refresh(first.body.refresh_token, { scope: 'openid' })
  expect(narrowed.body.scope).toBe('openid')
  const wider = await refresh(narrowed.body.refresh_token, { scope: 'openid api:read' })
  expect(wider.body.error).toBe('invalid_scope')
  // The narrowed refresh keeps the original grant's scope for the next refresh.
  const back = await refresh(narrowed.body.refresh_token, { scope: 'openid email' })
  expect(back.status).toBe(200)
})

it('refuses a refresh token presented by another client or unknown', async () => {
  const first = await loginTokens(server.issuer, completeLogin)
  const other = await tokenRequest(server.issuer, {
    grant_type: 'refresh_token',
    client_id: 'cli',
    refresh_token: first.body.refresh_token,
  })
  expect(other.body.error).toBe('invalid_grant')
  expect((await refresh('nope')).body.error).toBe('invalid_grant')
})

it('refuses an expired refresh token (server clock moved)', async () => {
  const first = await loginTokens(server.issuer, completeLogin)
  server.control.setClockOffset(15 * 86_400)
  try {
    expect((await refresh(first.body.refresh_token)).body.error).toBe('invalid_grant')
  } finally {
    server.control.setClockOffset(0)
  }
})
