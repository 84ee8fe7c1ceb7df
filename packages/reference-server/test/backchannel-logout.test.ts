import { createLocalJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  CookieJar,
  completeLogin,
  DEMO_CLIENTS,
  type LogoutReceiver,
  type ReferenceServer,
  startLogoutReceiver,
  startReferenceServer,
} from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import { claims, loginTokens } from './helpers.ts'

let receiver: LogoutReceiver
let server: ReferenceServer

beforeAll(async () => {
  receiver = await startLogoutReceiver()
  const spa = DEMO_CLIENTS.find((c) => c.client_id === 'spa')!
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    clients: [{ ...spa, backchannel_logout_uri: receiver.url }],
  })
})
afterAll(async () => {
  await server?.close()
  await receiver?.close()
})

it('sends a logout token with the session sid to clients of the ended session', async () => {
  const jar = new CookieJar()
  const tokens = await loginTokens(server.issuer, (url) => completeLogin(url, { cookieJar: jar }), {
    scope: 'openid',
  })
  const sid = claims(tokens.body.id_token).sid
  expect(sid).toBeTypeOf('string')
  const res = await fetch(`${server.issuer}/end_session?id_token_hint=${tokens.body.id_token}`, {
    headers: { cookie: jar.header()! },
  })
  expect(res.status).toBe(200)
  expect(receiver.tokens).toHaveLength(1)
  const jwks = createLocalJWKSet(await (await fetch(`${server.issuer}/jwks`)).json())
  const { payload, protectedHeader } = await jwtVerify(receiver.tokens[0]!, jwks, {
    issuer: server.issuer,
    audience: 'spa',
    typ: 'logout+jwt',
  })
  expect(payload).toMatchObject({ sid, sub: claims(tokens.body.id_token).sub })
  expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} })
  expect(payload.nonce).toBeUndefined()
  expect(protectedHeader.typ).toBe('logout+jwt')
  // Without a session cookie nothing is sent.
  await fetch(`${server.issuer}/end_session?id_token_hint=${tokens.body.id_token}`)
  expect(receiver.tokens).toHaveLength(1)
})
