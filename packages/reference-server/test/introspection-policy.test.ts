/**
 * Regression: any confidential client could introspect any token (RFC 7662 §2.1 and §4 leave it
 * to the server to decide who may see what). Now a client introspects the tokens issued to it,
 * and the access tokens whose `aud` names one of its `introspection_audiences` (a resource
 * server); any other token is `{ "active": false }`, the same answer as an unknown one.
 */
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  completeLogin,
  DEMO_CLIENTS,
  type ReferenceServer,
  startReferenceServer,
} from '../src/index.ts'
import { basic, type Json, loginTokens, tokenRequest } from './helpers.ts'

const API = 'https://api.example.test'
const DOWNSTREAM = 'https://downstream.example.test'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    clients: [
      ...DEMO_CLIENTS,
      {
        client_id: 'api',
        client_secret: 'api-secret',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        scope: '',
        introspection_audiences: [API],
      },
    ],
  })
})
afterAll(() => server.close())

async function introspect(token: string, clientId: string, secret: string) {
  const res = await fetch(`${server.issuer}/introspect`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(clientId, secret),
    },
    body: new URLSearchParams({ token }),
  })
  return { status: res.status, body: (await res.json()) as Json }
}

/** An m2m client-credentials access token, for `resource` when given. */
async function m2mToken(resource?: string): Promise<string> {
  const res = await tokenRequest(
    server.issuer,
    { grant_type: 'client_credentials', scope: 'api:read', ...(resource && { resource }) },
    { authorization: basic('m2m', 'm2m-secret') },
  )
  expect(res.status).toBe(200)
  return res.body.access_token
}

const unknown = { status: 200, body: { active: false } }

describe('who may introspect what (RFC 7662 §4)', () => {
  it('a client introspects the tokens issued to it', async () => {
    const token = await m2mToken(API)
    expect((await introspect(token, 'm2m', 'm2m-secret')).body).toMatchObject({
      active: true,
      client_id: 'm2m',
      aud: API,
    })
  })

  it('another client gets { active: false } for it, as for an unknown token', async () => {
    const token = await m2mToken()
    expect(await introspect(token, 'web', 'web-secret')).toStrictEqual(unknown)
    expect(await introspect('no-such-token', 'web', 'web-secret')).toStrictEqual(unknown)
    const user = (await loginTokens(server.issuer, completeLogin)).body
    expect(await introspect(user.access_token, 'web', 'web-secret')).toStrictEqual(unknown)
    expect(await introspect(user.refresh_token, 'web', 'web-secret')).toStrictEqual(unknown)
  })

  it('a resource server introspects the access tokens meant for its audience only', async () => {
    expect((await introspect(await m2mToken(API), 'api', 'api-secret')).body).toMatchObject({
      active: true,
      client_id: 'm2m',
      aud: API,
    })
    expect(await introspect(await m2mToken(DOWNSTREAM), 'api', 'api-secret')).toStrictEqual(unknown)
    // No resource: the token is for this server's own resources (aud = the issuer).
    expect(await introspect(await m2mToken(), 'api', 'api-secret')).toStrictEqual(unknown)
    // Refresh tokens are never a resource server's to see.
    const user = (await loginTokens(server.issuer, completeLogin)).body
    expect(await introspect(user.refresh_token, 'api', 'api-secret')).toStrictEqual(unknown)
  })

  it('public clients cannot introspect: 401 invalid_client', async () => {
    const user = (await loginTokens(server.issuer, completeLogin)).body
    const res = await fetch(`${server.issuer}/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: user.access_token, client_id: 'spa' }),
    })
    expect(res.status).toBe(401)
    expect(((await res.json()) as Json).error).toBe('invalid_client')
  })
})
