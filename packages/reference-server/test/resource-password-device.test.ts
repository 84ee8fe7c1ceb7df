/**
 * Regression: the password and device code grants ignored an RFC 8707 `resource` in the token
 * request: the token named the default audience whatever was asked for, and a resource the
 * client may not ask for got a token all the same. Now each resource must be one of the
 * client's `allowed_audiences` (else `invalid_target`, RFC 8707 §2), and the access token is
 * narrowed to the resources asked for, as in the other grants.
 */
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_CLIENTS, type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { claims, tokenRequest } from './helpers.ts'

const API = 'https://api.example.test'
const OTHER = 'https://other.example.test'
const withApi = (id: string) => ({
  ...DEMO_CLIENTS.find((c) => c.client_id === id)!,
  allowed_audiences: [API],
})

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    deviceInterval: 1,
    clients: [withApi('legacy-password'), withApi('tv')],
  })
})
afterAll(() => server.close())

const password = (extra: Record<string, string>) =>
  tokenRequest(server.issuer, {
    grant_type: 'password',
    client_id: 'legacy-password',
    client_secret: 'password-secret',
    username: 'alice',
    password: 'wonderland',
    scope: 'openid api:read',
    ...extra,
  })

/** A device code that alice approved. */
async function approvedDeviceCode(): Promise<string> {
  const res = await fetch(`${server.issuer}/device_authorization`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'tv', scope: 'openid' }),
  })
  const body = (await res.json()) as { device_code: string; user_code: string }
  server.control.approveDevice(body.user_code, 'alice')
  return body.device_code
}

const poll = (deviceCode: string, extra: Record<string, string>) =>
  tokenRequest(server.issuer, {
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    client_id: 'tv',
    device_code: deviceCode,
    ...extra,
  })

describe('a resource in a password grant request', () => {
  it('narrows the access token to it', async () => {
    const res = await password({ resource: API })
    expect(res.status).toBe(200)
    expect(claims(res.body.access_token as string).aud).toEqual(API)
  })

  it('is invalid_target when the client may not ask for it', async () => {
    const res = await password({ resource: OTHER })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_target')
  })
})

describe('a resource in a device code grant request', () => {
  it('narrows the access token to it', async () => {
    const res = await poll(await approvedDeviceCode(), { resource: API })
    expect(res.status).toBe(200)
    expect(claims(res.body.access_token as string).aud).toEqual(API)
  })

  it('is invalid_target when the client may not ask for it, and the code is not spent', async () => {
    const deviceCode = await approvedDeviceCode()
    const refused = await poll(deviceCode, { resource: OTHER })
    expect(refused.status).toBe(400)
    expect(refused.body.error).toBe('invalid_target')
    const res = await poll(deviceCode, {})
    expect(res.status).toBe(200)
  })
})
