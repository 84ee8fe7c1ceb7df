import { decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { completeLogin, type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import {
  basic,
  claims,
  dpopKey,
  type Json,
  loginTokens,
  passwordTokens,
  tokenRequest,
} from './helpers.ts'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterAll(() => server.close())

const form = { 'content-type': 'application/x-www-form-urlencoded' }

it('userinfo accepts the token in a POST body (RFC 6750 §2.2) but not twice', async () => {
  const { body } = await loginTokens(server.issuer, completeLogin, { scope: 'openid email' })
  const ok = await fetch(`${server.issuer}/userinfo`, {
    method: 'POST',
    headers: form,
    body: new URLSearchParams({ access_token: body.access_token }),
  })
  expect(ok.status).toBe(200)
  expect((await ok.json()).email).toBe('alice@example.test')
  const twice = await fetch(`${server.issuer}/userinfo`, {
    method: 'POST',
    headers: { ...form, authorization: `Bearer ${body.access_token}` },
    body: new URLSearchParams({ access_token: body.access_token }),
  })
  expect(twice.status).toBe(400)
})

it('userinfo refuses tokens without openid (403 insufficient_scope) and garbage (401)', async () => {
  const res = await passwordTokens(server.issuer, 'api:read')
  const noOpenid = await fetch(`${server.issuer}/userinfo`, {
    headers: { authorization: `Bearer ${res.body.access_token}` },
  })
  expect(noOpenid.status).toBe(403)
  expect(noOpenid.headers.get('www-authenticate')).toContain('insufficient_scope')
  const garbage = await fetch(`${server.issuer}/userinfo`, {
    headers: { authorization: 'Bearer abc' },
  })
  expect(garbage.status).toBe(401)
  expect(garbage.headers.get('www-authenticate')).toContain('error="invalid_token"')
})

it('introspection shows DPoP binding (token_type DPoP, cnf.jkt)', async () => {
  const key = await dpopKey()
  const res = await tokenRequest(
    server.issuer,
    { grant_type: 'client_credentials' },
    {
      authorization: basic('m2m', 'm2m-secret'),
      dpop: await key.proof('POST', `${server.issuer}/token`),
    },
  )
  const info: Json = await (
    await fetch(`${server.issuer}/introspect`, {
      method: 'POST',
      headers: { ...form, authorization: basic('m2m', 'm2m-secret') },
      body: new URLSearchParams({ token: res.body.access_token }),
    })
  ).json()
  expect(info).toMatchObject({
    active: true,
    token_type: 'DPoP',
    cnf: { jkt: key.jkt },
    client_id: 'm2m',
  })
})

it('signs with the new key after rotation; tokens signed before stay valid while the old key is published', async () => {
  const before = (await loginTokens(server.issuer, completeLogin, { scope: 'openid' })).body
  await server.control.rotateKeys()
  const after = (await loginTokens(server.issuer, completeLogin, { scope: 'openid' })).body
  expect(decodeProtectedHeader(after.id_token).kid).not.toBe(
    decodeProtectedHeader(before.id_token).kid,
  )
  const ui = await fetch(`${server.issuer}/userinfo`, {
    headers: { authorization: `Bearer ${before.access_token}` },
  })
  expect(ui.status).toBe(200)
  await server.control.rotateKeys({ dropOld: true })
  await server.control.rotateKeys({ dropOld: true })
  const gone = await fetch(`${server.issuer}/userinfo`, {
    headers: { authorization: `Bearer ${before.access_token}` },
  })
  expect(gone.status).toBe(401)
})

it('end_session also works with POST and without a redirect shows a page', async () => {
  const { body } = await loginTokens(server.issuer, completeLogin, { scope: 'openid' })
  const res = await fetch(`${server.issuer}/end_session`, {
    method: 'POST',
    headers: form,
    body: new URLSearchParams({ id_token_hint: body.id_token, client_id: 'spa' }),
    redirect: 'manual',
  })
  expect(res.status).toBe(200)
  expect(await res.text()).toContain('signed out')
  const noHint = await fetch(
    `${server.issuer}/end_session?post_logout_redirect_uri=${encodeURIComponent('http://127.0.0.1:4001/')}`,
    { redirect: 'manual' },
  )
  expect(noHint.status).toBe(400)
})

it('ES256 ID tokens for clients that ask for them', async () => {
  const s = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    clients: [
      {
        client_id: 'es',
        client_secret: 'es-secret',
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['password'],
        scope: 'openid',
        id_token_signed_response_alg: 'ES256',
      },
    ],
  })
  try {
    const res = await tokenRequest(s.issuer, {
      grant_type: 'password',
      client_id: 'es',
      client_secret: 'es-secret',
      username: 'alice',
      password: 'wonderland',
      scope: 'openid',
    })
    expect(decodeProtectedHeader(res.body.id_token).alg).toBe('ES256')
    expect(claims(res.body.id_token).aud).toBe('es')
  } finally {
    await s.close()
  }
})

it('refuses non-loopback hosts', async () => {
  await expect(startReferenceServer({ host: '0.0.0.0' })).rejects.toBeInstanceOf(TypeError)
})
