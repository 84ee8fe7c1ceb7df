/**
 * Machine-to-machine grants against node-oidc-provider: client credentials with
 * `client_secret_post` and `private_key_jwt` (with an RFC 8707 resource), token exchange
 * (RFC 8693) and JWT bearer (RFC 7523), the last two registered with the OP's
 * `registerGrantType`.
 */
import { fixedKeyPairs } from '@openrp/testkit'
import { isOpenRpError, TOKEN_TYPES } from '@openrp/core'
import { importJWK, SignJWT } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  API_RESOURCE,
  ASSERTION_ISSUER,
  type CertifiedOp,
  INTEROP_USER,
  startCertifiedOp,
} from '../src/index.ts'
import { clientOf, login } from './helpers.ts'

let op: CertifiedOp
beforeAll(async () => {
  op = await startCertifiedOp({ generateKeyPair: fixedKeyPairs() })
})
afterAll(() => op?.close())
beforeEach(() => op.clearRequests())

async function assertion(claims: { sub: string; aud: string }, key = op.keys.assertionIssuer) {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setIssuer(ASSERTION_ISSUER)
    .setSubject(claims.sub)
    .setAudience(claims.aud)
    .setIssuedAt()
    .setExpirationTime('2m')
    .setJti(crypto.randomUUID())
    .sign(await importJWK(key, 'ES256'))
}

describe('client credentials against node-oidc-provider', () => {
  it('authenticates with client_secret_post', async () => {
    const client = await clientOf(op, 'service')
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.scope).toBe('api:read')
    expect(tokens.expiresIn()).toBeGreaterThan(3000)
    expect(await client.introspect(tokens)).toMatchObject({ active: true, client_id: 'service' })
  })

  it('authenticates with private_key_jwt and gets a token for a resource (RFC 8707)', async () => {
    const client = await clientOf(op, 'keyed')
    const tokens = await client.clientCredentials({ scope: 'api:read', resource: API_RESOURCE })
    expect(tokens.scope).toBe('api:read')
    const introspected = await client.introspect(tokens)
    expect(introspected).toMatchObject({ active: true, client_id: 'keyed', aud: API_RESOURCE })
  })

  it('authenticates with client_secret_jwt', async () => {
    const client = await clientOf(op, 'secret-jwt')
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    expect(await client.introspect(tokens)).toMatchObject({ active: true, client_id: 'secret-jwt' })
  })

  it('is refused with a wrong secret (invalid_client)', async () => {
    const client = await clientOf(op, 'service', { clientSecret: 'wrong' })
    const refused = await client.clientCredentials().catch((e) => e)
    expect(isOpenRpError(refused, 'OAUTH_ERROR')).toBe(true)
    expect(refused.error).toBe('invalid_client')
  })
})

describe('token exchange against node-oidc-provider (registerGrantType)', () => {
  it("exchanges a user's access token for one issued to the service", async () => {
    const user = await login(await clientOf(op, 'public'))
    const service = await clientOf(op, 'service')
    const exchanged = await service.tokenExchange({
      subjectToken: user.tokens.accessToken,
      subjectTokenType: TOKEN_TYPES.accessToken,
    })
    expect(exchanged.issuedTokenType).toBe(TOKEN_TYPES.accessToken)
    expect(exchanged.accessToken).not.toBe(user.tokens.accessToken)
    expect(await service.introspect(exchanged)).toMatchObject({
      active: true,
      sub: INTEROP_USER.sub,
      client_id: 'service',
    })
  })

  it('delegates with an actor token', async () => {
    const user = await login(await clientOf(op, 'public'))
    const service = await clientOf(op, 'service')
    const actor = await service.clientCredentials({ scope: 'api:read' })
    const exchanged = await service.tokenExchange({
      subjectToken: user.tokens.accessToken,
      subjectTokenType: TOKEN_TYPES.accessToken,
      actorToken: actor.accessToken,
      actorTokenType: TOKEN_TYPES.accessToken,
    })
    expect(exchanged.issuedTokenType).toBe(TOKEN_TYPES.accessToken)
    // RFC 8693 §4.1: the `act` claim names the actor.
    expect(await service.introspect(exchanged)).toMatchObject({
      active: true,
      sub: INTEROP_USER.sub,
      act: { sub: 'service' },
    })
  })

  it('is refused an unknown subject token (invalid_request, RFC 8693 §2.2.2)', async () => {
    const service = await clientOf(op, 'service')
    const refused = await service
      .tokenExchange({ subjectToken: 'forged', subjectTokenType: TOKEN_TYPES.accessToken })
      .catch((e) => e)
    expect(isOpenRpError(refused, 'OAUTH_ERROR')).toBe(true)
    expect(refused.error).toBe('invalid_request')
  })
})

describe('JWT bearer against node-oidc-provider (registerGrantType)', () => {
  it("gets an access token for the assertion's subject, good at userinfo", async () => {
    const service = await clientOf(op, 'service')
    const tokens = await service.jwtBearer({
      assertion: await assertion({ sub: INTEROP_USER.sub, aud: op.issuer }),
      scope: 'openid profile',
    })
    expect(tokens.tokenType).toBe('Bearer')
    const user = await service.userinfo(tokens, { expectedSubject: INTEROP_USER.sub })
    expect(user.name).toBe(INTEROP_USER.claims.name)
  })

  it('is refused an assertion signed by another key (invalid_grant)', async () => {
    const service = await clientOf(op, 'service')
    const refused = await service
      .jwtBearer({ assertion: await assertion({ sub: 'alice', aud: op.issuer }, op.keys.client) })
      .catch((e) => e)
    expect(isOpenRpError(refused, 'INVALID_GRANT')).toBe(true)
  })
})
