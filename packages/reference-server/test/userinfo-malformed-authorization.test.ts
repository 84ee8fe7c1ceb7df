/**
 * RFC 6750 §3.1 at `/userinfo`: a malformed `Authorization` header (a Bearer or DPoP scheme
 * without exactly one token68 after it) is a malformed request, 400 `invalid_request`; it was
 * answered 401. A well-formed token the server does not know stays 401 `invalid_token`, and a
 * request without credentials for this resource (no header, or another scheme) 401 without an
 * error code.
 */
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { completeLogin, type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { loginTokens, userinfo } from './helpers.ts'

let server: ReferenceServer
let accessToken: string
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
  accessToken = (await loginTokens(server.issuer, completeLogin, { scope: 'openid' })).body
    .access_token
})
afterAll(() => server.close())

async function ask(authorization?: string) {
  const res = await fetch(`${server.issuer}/userinfo`, {
    headers: authorization === undefined ? {} : { authorization },
  })
  return {
    status: res.status,
    error: ((await res.json()) as { error?: string }).error,
    challenge: res.headers.get('www-authenticate') ?? '',
  }
}

describe('userinfo with a malformed Authorization header', () => {
  it.each([
    ['Bearer without a token', () => 'Bearer'],
    ['two tokens', () => `Bearer ${accessToken} ${accessToken}`],
    ['a value that is no token68', () => `Bearer ${accessToken},x`],
    ['two spaces before the token', () => `Bearer  ${accessToken}`],
  ])('%s: 400 invalid_request', async (_name, header) => {
    const answer = await ask(header())
    expect(answer).toMatchObject({ status: 400, error: 'invalid_request' })
    expect(answer.challenge).toContain('Bearer realm="openrp", error="invalid_request"')
  })

  it('names the DPoP scheme in the challenge of a malformed DPoP header', async () => {
    const answer = await ask(`DPoP ${accessToken} ${accessToken}`)
    expect(answer).toMatchObject({ status: 400, error: 'invalid_request' })
    expect(answer.challenge).toMatch(/DPoP algs="[^"]*", error="invalid_request"/)
  })

  it('keeps 401 for a well-formed unknown token and for requests without credentials', async () => {
    expect(await ask('Bearer not-a-token')).toMatchObject({ status: 401, error: 'invalid_token' })
    for (const header of [undefined, 'Basic YWxpY2U6d29uZGVybGFuZA==']) {
      const answer = await ask(header)
      expect(answer).toMatchObject({ status: 401, error: undefined })
      expect(answer.challenge).not.toContain('error=')
    }
    expect((await userinfo(server.issuer, accessToken)).status).toBe(200)
  })
})
