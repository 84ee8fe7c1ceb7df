/**
 * OpenID Connect Back-Channel Logout 1.0 against node-oidc-provider: the user ends the session
 * at the OP, the OP POSTs a logout token to the RP, and `validateLogoutToken` accepts it (and
 * refuses it the second time, with a replay store).
 */
import { fixedKeyPairs } from '@openrp/testkit'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isOpenRpError, MemoryStore } from '@openrp/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type CertifiedOp,
  INTEROP_USER,
  POST_LOGOUT_REDIRECT_URI,
  REDIRECT_URI,
  startCertifiedOp,
} from '../src/index.ts'
import { clientOf, login } from './helpers.ts'

let op: CertifiedOp
let rp: Server
const received: string[] = []
let arrived: () => void = () => {}

beforeAll(async () => {
  // The RP's back-channel endpoint: keeps the logout token and answers 200.
  rp = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token')
      if (token) received.push(token)
      res.writeHead(200).end()
      arrived()
    })
  })
  await new Promise<void>((ok) => rp.listen(0, '127.0.0.1', ok))
  const logoutUri = `http://127.0.0.1:${(rp.address() as AddressInfo).port}/backchannel-logout`
  op = await startCertifiedOp({
    generateKeyPair: fixedKeyPairs(),
    clients: [
      {
        client_id: 'backchannel',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
        post_logout_redirect_uris: [POST_LOGOUT_REDIRECT_URI],
        id_token_signed_response_alg: 'ES256',
        backchannel_logout_uri: logoutUri,
        backchannel_logout_session_required: true,
      },
    ],
  })
})
afterAll(async () => {
  await op?.close()
  await new Promise<void>((ok) => rp?.close(() => ok()))
})

describe('back-channel logout from node-oidc-provider', () => {
  it("validates the OP's logout token: its sub and sid are the login's, a replay is refused", async () => {
    const client = await clientOf(op, 'backchannel')
    const { tokens, browser } = await login(client)
    const sid = tokens.claims()?.sid
    expect(sid).toEqual(expect.any(String))

    const posted = new Promise<void>((ok) => {
      arrived = ok
    })
    const page = await browser.open(client.endSessionUrl({ idTokenHint: tokens.idToken }))
    const done = await browser.post(page.forms[0]!, { logout: 'yes' })
    expect(done.status).toBe(303)
    await posted
    expect(received).toHaveLength(1)

    const replayStore = new MemoryStore()
    const claims = await client.validateLogoutToken(received[0], { replayStore })
    expect(claims).toMatchObject({ iss: op.issuer, aud: 'backchannel', sub: INTEROP_USER.sub, sid })
    const replay = await client.validateLogoutToken(received[0], { replayStore }).catch((e) => e)
    expect(isOpenRpError(replay, 'LOGOUT_TOKEN_REPLAYED')).toBe(true)
  })

  it('refuses a logout token meant for another client', async () => {
    const other = await clientOf(op, 'public')
    const token = received[0]
    expect(token).toEqual(expect.any(String))
    const refused = await other.validateLogoutToken(token).catch((e) => e)
    expect(isOpenRpError(refused, 'LOGOUT_TOKEN_INVALID')).toBe(true)
  })
})
