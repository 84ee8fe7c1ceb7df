/**
 * Issue 16: signed userinfo against node-oidc-provider. A client registered with
 * `userinfo_signed_response_alg` could not require the signed answer: plain JSON was accepted,
 * and a JWT was verified against any alg the OP advertises. With `userinfoSignedResponseAlg`
 * (or the registered field through `toClientOptions`) only a JWT signed with that alg passes.
 */
import { fixedKeyPairs } from '@openrp/testkit'
import { discover, isOpenRpError, registerClient, toClientOptions } from '@openrp/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CertifiedOp, INTEROP_USER, REDIRECT_URI, startCertifiedOp } from '../src/index.ts'
import { clientOf, login } from './helpers.ts'

let op: CertifiedOp
beforeAll(async () => {
  op = await startCertifiedOp({ generateKeyPair: fixedKeyPairs() })
})
afterAll(() => op?.close())

const PROFILE = { scope: 'openid profile' }

describe('issue-16-userinfo-signed-alg: signed userinfo from node-oidc-provider', () => {
  it('verifies the ES256 userinfo JWT of a client registered for it', async () => {
    const client = await clientOf(op, 'signed-userinfo', { userinfoSignedResponseAlg: 'ES256' })
    const { tokens } = await login(client, PROFILE)
    const user = await client.userinfo(tokens)
    expect(user).toMatchObject({ sub: INTEROP_USER.sub, name: INTEROP_USER.claims.name })
    const answer = op
      .requests()
      .filter((r) => r.path === '/me')
      .at(-1)
    expect(answer).toMatchObject({ status: 200, contentType: 'application/jwt' })
  })

  it('refuses the plain JSON answer the OP gives a client not registered for signed userinfo → USERINFO_JWT_EXPECTED', async () => {
    const client = await clientOf(op, 'confidential', { userinfoSignedResponseAlg: 'ES256' })
    const { tokens } = await login(client, PROFILE)
    const refused = await client.userinfo(tokens).catch((e) => e)
    expect(isOpenRpError(refused, 'USERINFO_JWT_EXPECTED')).toBe(true)
  })

  it('refuses a userinfo JWT signed with another alg than the registered one → JWT_ALG_NOT_ALLOWED', async () => {
    const client = await clientOf(op, 'signed-userinfo-rs256', {
      userinfoSignedResponseAlg: 'ES256',
    })
    const { tokens } = await login(client, PROFILE)
    const refused = await client.userinfo(tokens).catch((e) => e)
    expect(isOpenRpError(refused, 'JWT_ALG_NOT_ALLOWED')).toBe(true)
  })

  it('without the option keeps accepting plain JSON and any advertised alg', async () => {
    const plain = await clientOf(op, 'confidential')
    const json = await login(plain, PROFILE)
    expect((await plain.userinfo(json.tokens)).name).toBe(INTEROP_USER.claims.name)
    const rs256 = await clientOf(op, 'signed-userinfo-rs256')
    const signed = await login(rs256, PROFILE)
    expect((await rs256.userinfo(signed.tokens)).name).toBe(INTEROP_USER.claims.name)
  })

  it('takes the alg from a dynamic registration (RFC 7591) at the OP through toClientOptions', async () => {
    const registered = await registerClient(op.issuer, {
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      userinfo_signed_response_alg: 'ES256',
    })
    const options = toClientOptions(registered)
    expect(options.userinfoSignedResponseAlg).toBe('ES256')
    const client = await discover(op.issuer, { ...options, redirectUri: REDIRECT_URI })
    const { tokens } = await login(client, PROFILE)
    expect((await client.userinfo(tokens)).name).toBe(INTEROP_USER.claims.name)
  })
})
