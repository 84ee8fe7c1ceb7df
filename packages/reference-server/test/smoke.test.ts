import { afterAll, beforeAll, expect, it } from 'vitest'
import { completeLogin, type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { authorizeUrl, claims, tokenRequest } from './helpers.ts'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0 })
})
afterAll(() => server.close())

it('runs code + PKCE end to end', async () => {
  const { url, verifier } = await authorizeUrl(server.issuer, { nonce: 'n-1' })
  const result = await completeLogin(url)
  expect(result.method).toBe('query')
  expect(result.params.get('state')).toBe('st-123')
  expect(result.params.get('iss')).toBe(server.issuer)
  const res = await tokenRequest(server.issuer, {
    grant_type: 'authorization_code',
    client_id: 'spa',
    code: result.params.get('code')!,
    redirect_uri: 'http://127.0.0.1:4001/callback.html',
    code_verifier: verifier,
  })
  expect(res.status).toBe(200)
  expect(claims(res.body.id_token).nonce).toBe('n-1')
  expect(res.body.refresh_token).toBeTypeOf('string')
  const ui = await fetch(`${server.issuer}/userinfo`, {
    headers: { authorization: `Bearer ${res.body.access_token}` },
  })
  expect(ui.status).toBe(200)
  expect((await ui.json()).email).toBe('alice@example.test')
})
