/**
 * Regression: RFC 8707 resource indicators of client credentials and token exchange went to the
 * token endpoint whatever they were: a relative name, a URI with a fragment (RFC 8707 §2: an
 * absolute URI, no fragment; RFC 8693 §2.1 says the same for token exchange), or from JavaScript
 * callers a number or null, sent as "5" or "null". They are now INVALID_ARGUMENT before any
 * request. (refresh() leaves the check to the provider: SPA bundles do not carry it.)
 */
import { describe, expect, it } from 'vitest'
import { TOKEN_TYPES } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const tokenRequests = () => h.server.control.requests({ endpoint: 'token' })
const gateway = () =>
  h.client({
    clientId: 'exchange',
    clientSecret: 'exchange-secret',
    clientAuth: 'client_secret_post',
  })

// Each case in its own array: it.each spreads an array case into arguments.
const BAD: unknown[][] = [
  ['downstream'],
  ['https://downstream.example.test/#section'],
  [['https://downstream.example.test', 5]],
  [null],
]

describe('resource indicators are absolute URIs without a fragment (RFC 8707 §2)', () => {
  it.each(BAD)('client credentials refuses resource %j before any request', async (resource) => {
    const client = await gateway()
    h.server.control.clearRequests()
    await expect(
      // @ts-expect-error testing bad input
      client.clientCredentials({ scope: 'api:read', resource }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(tokenRequests()).toHaveLength(0)
  })

  it.each(BAD)('token exchange refuses resource %j before any request', async (resource) => {
    const client = await gateway()
    h.server.control.clearRequests()
    await expect(
      client.tokenExchange({
        subjectToken: 'a-token',
        subjectTokenType: TOKEN_TYPES.accessToken,
        // @ts-expect-error testing bad input
        resource,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(tokenRequests()).toHaveLength(0)
  })

  it('absolute URIs go, each as its own parameter', async () => {
    const client = await gateway()
    const tokens = await client.clientCredentials({
      scope: 'api:read',
      resource: ['https://downstream.example.test', 'https://api.example.test'],
    })
    const info = await client.introspect(tokens)
    expect([info.aud].flat()).toEqual(
      expect.arrayContaining(['https://downstream.example.test', 'https://api.example.test']),
    )
  })
})
