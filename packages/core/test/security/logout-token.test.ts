/// <reference types="node" />
/**
 * Back-channel logout (OpenID Connect Back-Channel Logout 1.0 §2.6), the conformance suite's
 * `oidcc-client-test-backchannel-logout*` cases: a tiny RP logout endpoint on 127.0.0.1 built
 * on `validateLogoutToken` answers 400 to every bad logout token and 200 to a good one. The
 * tokens are signed with keys the test publishes in the provider's JWKS.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BACKCHANNEL_LOGOUT_EVENT,
  type ClientCore,
  isOpenRpError,
  validateLogoutToken,
} from '../../src/index.ts'
import { signJwt, type TestKey, testKey, unsignedJwt } from '../helpers/keys.ts'
import { type StaticProvider, startStaticProvider } from '../helpers/provider.ts'

let provider: StaticProvider
let rp: Server
let rpUrl: string
let key: TestKey
let unpublished: TestKey
let ps256: TestKey
let core: ClientCore
/** Sessions the RP ended (sub/sid of each accepted token). */
const ended: Array<{ sub?: string; sid?: string }> = []

beforeAll(async () => {
  key = await testKey('op-key-1')
  unpublished = await testKey('op-key-1')
  ps256 = await testKey('op-key-ps256', 'PS256')
  // The PS256 key is published, but the provider advertises only RS256 and ES256.
  provider = await startStaticProvider([key, ps256])
  core = provider.core({ clientId: 'client-1' })
  // The RP's backchannel_logout_uri: 200 when the token is valid, 400 when it is refused.
  rp = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
      try {
        const claims = await validateLogoutToken(core, form.get('logout_token'))
        ended.push({ sub: claims.sub, sid: claims.sid })
        res.writeHead(200, { 'cache-control': 'no-store' }).end()
      } catch (error) {
        const status = isOpenRpError(error, 'LOGOUT_TOKEN_INVALID') ? 400 : 500
        res.writeHead(status, { 'cache-control': 'no-store' }).end()
      }
    })
  })
  await new Promise<void>((resolve) => rp.listen(0, '127.0.0.1', resolve))
  rpUrl = `http://127.0.0.1:${(rp.address() as AddressInfo).port}/backchannel-logout`
})

afterAll(async () => {
  await new Promise<void>((resolve) => rp.close(() => resolve()))
  await provider.close()
})

/** Valid logout-token claims for the static provider and `client-1`, overridable. */
function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    iss: provider.metadata.issuer,
    aud: 'client-1',
    iat: Math.floor(Date.now() / 1000),
    jti: crypto.randomUUID(),
    sub: 'user-1',
    sid: 'session-1',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete base[name]
    else base[name] = value
  }
  return base
}

/** What the provider does: POST the token to the RP; returns the RP's status. */
async function post(logoutToken: string): Promise<number> {
  const res = await fetch(rpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: logoutToken }),
  })
  await res.arrayBuffer()
  return res.status
}

const sign = (
  c: Record<string, unknown>,
  header: Record<string, unknown> = { typ: 'logout+jwt' },
) => signJwt(c, { key, header })

describe('oidcc-client-test-backchannel-logout (good token)', () => {
  it('accepts a valid logout token (200) and ends that session', async () => {
    const before = ended.length
    expect(await post(await sign(claims()))).toBe(200)
    expect(ended.slice(before)).toEqual([{ sub: 'user-1', sid: 'session-1' }])
  })

  it('accepts a token carrying only sid', async () => {
    expect(await post(await sign(claims({ sub: undefined })))).toBe(200)
  })
})

describe('refused logout tokens answer 400 and end nothing', () => {
  it.each<[string, () => Promise<string>]>([
    [
      'oidcc-client-test-backchannel-logout-wrong-alg (HS256 keyed with a shared secret)',
      () =>
        new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256', typ: 'logout+jwt' })
          .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!')),
    ],
    [
      'oidcc-client-test-backchannel-logout-wrong-alg (PS256, published but not advertised)',
      () => signJwt(claims(), { key: ps256, header: { typ: 'logout+jwt' } }),
    ],
    ['oidcc-client-test-backchannel-logout-alg-none', async () => unsignedJwt(claims())],
    [
      'oidcc-client-test-backchannel-logout-no-event (no events claim)',
      () => sign(claims({ events: undefined })),
    ],
    [
      'oidcc-client-test-backchannel-logout-wrong-event',
      () => sign(claims({ events: { 'http://schemas.openid.net/event/other': {} } })),
    ],
    ['oidcc-client-test-backchannel-logout-with-nonce', () => sign(claims({ nonce: 'n-1' }))],
    [
      'oidcc-client-test-backchannel-logout-wrong-aud',
      () => sign(claims({ aud: 'another-client' })),
    ],
    [
      'oidcc-client-test-backchannel-logout-wrong-issuer',
      () => sign(claims({ iss: 'https://op.example.test' })),
    ],
    [
      'a bad signature (key not published, same kid)',
      () => signJwt(claims(), { key: unpublished }),
    ],
    ['neither sub nor sid', () => sign(claims({ sub: undefined, sid: undefined }))],
    ['no jti', () => sign(claims({ jti: undefined }))],
    ['no iat', () => sign(claims({ iat: undefined }))],
    [
      'an ID token posted as a logout token (typ JWT, no events)',
      () => sign(claims({ events: undefined }), { typ: 'JWT' }),
    ],
    ['a wrong typ', () => sign(claims(), { typ: 'at+jwt' })],
    ['not a JWT at all', async () => 'not-a-jwt'],
  ])('%s', async (_name, token) => {
    const before = ended.length
    expect(await post(await token())).toBe(400)
    expect(ended.length).toBe(before)
  })
})
