/**
 * Issue 16: a client registered for signed userinfo (`userinfo_signed_response_alg`) accepted a
 * plain JSON answer, and a signed one was checked against any alg the provider advertises. The
 * `userinfoSignedResponseAlg` option (also from a registration, through `toClientOptions`)
 * requires a JWT signed with exactly that alg.
 */
import { DEMO_SPA_ORIGIN, DEMO_USERS } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import {
  type Client,
  type ClientMetadata,
  discover,
  isOpenRpError,
  registerClient,
  type TokenSet,
  toClientOptions,
} from '../src/index.ts'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const alice = DEMO_USERS[0]!
const REDIRECT = `${DEMO_SPA_ORIGIN}/signed-userinfo/callback`
const SIGNED_USERINFO_APP: ClientMetadata = {
  client_name: 'Signed userinfo app',
  redirect_uris: [REDIRECT],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code'],
  response_types: ['code'],
  scope: 'openid profile',
  userinfo_signed_response_alg: 'ES256',
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (isOpenRpError(error) ? error.code : `not typed: ${String(error)}`),
  )
}

/** A client registered for ES256 userinfo, signed in as alice. */
async function registeredForSignedUserinfo(): Promise<{ client: Client; tokens: TokenSet }> {
  const registered = await registerClient(h.server.issuer, SIGNED_USERINFO_APP)
  const options = toClientOptions(registered)
  expect(options.userinfoSignedResponseAlg).toBe('ES256')
  const client = await discover(h.server.issuer, { ...options, scope: 'openid profile' })
  const { params, transaction } = await login(client)
  return { client, tokens: await client.handleAuthorizationResponse(params, transaction) }
}

describe('issue 16: userinfoSignedResponseAlg', () => {
  it('accepts the JWT signed with the registered alg', async () => {
    const { client, tokens } = await registeredForSignedUserinfo()
    const claims = await client.userinfo(tokens)
    expect(claims.sub).toBe(alice.sub)
    expect(claims.name).toBe(alice.claims.name)
  })

  it('refuses a plain JSON answer → USERINFO_JWT_EXPECTED', async () => {
    const { client, tokens } = await registeredForSignedUserinfo()
    h.server.control.setFaults({ userinfo: { plain: true } })
    expect(await codeOf(client.userinfo(tokens))).toBe('USERINFO_JWT_EXPECTED')
  })

  it('refuses a plain JSON answer about another user → USERINFO_JWT_EXPECTED too', async () => {
    const { client, tokens } = await registeredForSignedUserinfo()
    h.server.control.setFaults({ userinfo: { plain: true, sub: 'someone-else' } })
    expect(await codeOf(client.userinfo(tokens))).toBe('USERINFO_JWT_EXPECTED')
  })

  it('refuses a JWT signed with another advertised alg → JWT_ALG_NOT_ALLOWED', async () => {
    const { client, tokens } = await registeredForSignedUserinfo()
    expect(client.metadata.userinfo_signing_alg_values_supported).toContain('RS256')
    h.server.control.setFaults({ userinfo: { alg: 'RS256' } })
    expect(await codeOf(client.userinfo(tokens))).toBe('JWT_ALG_NOT_ALLOWED')
  })

  it('a JWT with the registered alg but a bad signature → JWT_SIGNATURE_INVALID', async () => {
    const { client, tokens } = await registeredForSignedUserinfo()
    h.server.control.setFaults({ userinfo: { badSignature: true } })
    expect(await codeOf(client.userinfo(tokens))).toBe('JWT_SIGNATURE_INVALID')
  })

  it('the option set by hand works the same', async () => {
    const client = await h.client({
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      scope: 'openid profile',
      userinfoSignedResponseAlg: 'RS256',
    })
    const { params, transaction } = await login(client)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(await codeOf(client.userinfo(tokens))).toBe('USERINFO_JWT_EXPECTED')
    h.server.control.setFaults({ userinfo: { signed: true } })
    expect((await client.userinfo(tokens)).sub).toBe(alice.sub)
  })

  it('without the option, both JSON and signed answers are accepted (unchanged)', async () => {
    const client = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT })
    const { params, transaction } = await login(client)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect((await client.userinfo(tokens)).sub).toBe(alice.sub)
    h.server.control.setFaults({ userinfo: { signed: true } })
    expect((await client.userinfo(tokens)).sub).toBe(alice.sub)
  })

  it.each(['none', 'HS256', ''])('refuses userinfoSignedResponseAlg %j', async (alg) => {
    await expect(
      h.client({ clientId: 'spa', userinfoSignedResponseAlg: alg }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
