import { type Client, discover, isOpenRpError, TOKEN_TYPES } from '@openrp/core'
import {
  completeLogin,
  DEMO_USERS,
  type ReferenceServer,
  startReferenceServer,
} from '@openrp/reference-server'
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ClientCredentialsProvider } from '../src/client-credentials-provider.ts'
import { exchangeOnBehalfOf } from '../src/token-exchange.ts'

/** The payload of a JWT access token (the reference server issues JWTs). */
function decodeJwt(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'))
}

const EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange'
const alice = DEMO_USERS[0]!

let server: ReferenceServer
let gateway: Client
let m2m: Client
let userToken: string
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
  gateway = await discover(server.issuer, {
    clientId: 'exchange',
    clientSecret: 'exchange-secret',
    clientAuth: 'client_secret_post',
  })
  m2m = await discover(server.issuer, { clientId: 'm2m', clientSecret: 'm2m-secret' })
  // The user's token, as the service would receive it with a request: alice signs in to the CLI.
  const cli = await discover(server.issuer, {
    clientId: 'cli',
    redirectUri: 'http://127.0.0.1/callback',
    scope: 'openid profile api:read',
  })
  const { url, transaction } = await cli.createAuthorizationRequest()
  const { params } = await completeLogin(url)
  userToken = (await cli.handleAuthorizationResponse(params, transaction)).accessToken
})
afterAll(() => server.close())
beforeEach(() => server.control.clearRequests())

const exchanges = () => server.control.requests({ endpoint: 'token', grantType: EXCHANGE_GRANT })

describe('exchangeOnBehalfOf against the reference server', () => {
  it('delegates: the new token is the user with the service as actor, and the API serves it', async () => {
    const actor = new ClientCredentialsProvider({ client: m2m })
    const downstream = await exchangeOnBehalfOf(gateway, {
      subjectToken: userToken,
      actor,
      actorTokenOptions: { scope: 'api:read' },
      scope: 'api:read',
    })
    expect(downstream.issuedTokenType).toBe(TOKEN_TYPES.accessToken)
    const claims = decodeJwt(downstream.accessToken)
    expect(claims.sub).toBe(alice.sub)
    expect(claims.act).toEqual({ sub: 'm2m' })
    expect(claims.scope).toBe('api:read')
    const res = await fetch(`${server.issuer}/api/data`, {
      headers: { authorization: `Bearer ${downstream.accessToken}` },
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { sub: string }).sub).toBe(alice.sub)
  })

  it('asks the actor provider once and reuses its token for later exchanges', async () => {
    const actor = new ClientCredentialsProvider({ client: m2m })
    for (let i = 0; i < 3; i++) {
      await exchangeOnBehalfOf(gateway, { subjectToken: userToken, actor, scope: 'api:read' })
    }
    expect(exchanges()).toHaveLength(3)
    expect(
      server.control.requests({ endpoint: 'token', grantType: 'client_credentials' }),
    ).toHaveLength(1)
  })

  it('takes a plain actor token and a downstream audience', async () => {
    const own = await gateway.clientCredentials({ scope: 'api:read' })
    const downstream = await exchangeOnBehalfOf(gateway, {
      subjectToken: userToken,
      actor: own.accessToken,
      audience: 'https://downstream.example.test',
    })
    const claims = decodeJwt(downstream.accessToken)
    expect([claims.aud].flat()).toEqual(['https://downstream.example.test'])
    expect(claims.act).toEqual({ sub: 'exchange' })
  })

  it('without an actor it is an impersonation (no act claim)', async () => {
    const token = await exchangeOnBehalfOf(gateway, { subjectToken: userToken, scope: 'api:read' })
    expect(decodeJwt(token.accessToken).act).toBeUndefined()
    expect(decodeJwt(token.accessToken).sub).toBe(alice.sub)
  })

  it('gives OAUTH_ERROR invalid_request for a subject token the provider does not accept (RFC 8693 §2.2.2)', async () => {
    const error = await exchangeOnBehalfOf(gateway, {
      subjectToken: `${userToken.slice(0, -4)}AAAA`,
      actor: new ClientCredentialsProvider({ client: m2m }),
    }).catch((e) => e)
    expect(isOpenRpError(error, 'OAUTH_ERROR')).toBe(true)
    expect(error.error).toBe('invalid_request')
  })

  it('gives OAUTH_ERROR for an audience the client may not ask for', async () => {
    const error = await exchangeOnBehalfOf(gateway, {
      subjectToken: userToken,
      audience: 'https://elsewhere.example.test',
    }).catch((e) => e)
    expect(isOpenRpError(error, 'OAUTH_ERROR')).toBe(true)
    expect(error.error).toBe('invalid_target')
  })

  it('refuses bad input with INVALID_ARGUMENT before any request', async () => {
    await expect(exchangeOnBehalfOf(gateway, { subjectToken: '' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await expect(
      exchangeOnBehalfOf(gateway, { subjectToken: userToken, actor: '' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(
      exchangeOnBehalfOf(gateway, { subjectToken: userToken, actor: {} as never }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(exchanges()).toHaveLength(0)
  })
})
