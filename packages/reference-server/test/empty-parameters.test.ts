/**
 * RFC 6749 §3.1 and §3.2: "Parameters sent without a value MUST be treated as if they were
 * omitted from the request", as node-oidc-provider does. An empty `scope` on a refresh asked for
 * a token with no scope at all; an empty `response_mode` refused the login.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { completeLogin, type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import { claims, loginTokens, tokenRequest } from './helpers.ts'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterAll(() => server.close())

it('takes an empty scope on a refresh as no scope: the grant keeps its scope', async () => {
  const first = await loginTokens(server.issuer, completeLogin)
  expect(first.status).toBe(200)
  const refreshed = await tokenRequest(server.issuer, {
    grant_type: 'refresh_token',
    client_id: 'spa',
    refresh_token: first.body.refresh_token,
    scope: '',
  })
  expect(refreshed.status).toBe(200)
  expect(refreshed.body.scope).toBe(first.body.scope)
  expect(claims(refreshed.body.access_token).scope).toBe(first.body.scope)
})

it('takes an empty response_mode at the authorization endpoint as the default one', async () => {
  const tokens = await loginTokens(server.issuer, completeLogin, { response_mode: '' })
  expect(tokens.status).toBe(200)
})

it('takes an empty client_secret of a public client as no secret', async () => {
  const first = await loginTokens(server.issuer, completeLogin)
  const refreshed = await tokenRequest(server.issuer, {
    grant_type: 'refresh_token',
    client_id: 'spa',
    client_secret: '',
    refresh_token: first.body.refresh_token,
  })
  expect(refreshed.status).toBe(200)
})
