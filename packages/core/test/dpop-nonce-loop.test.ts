import { describe, expect, it } from 'vitest'
import { type TokenSet, ValidationError } from '../src/index.ts'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()

/** Runs `call` and returns what it resolved to and what it threw. */
async function outcome<T>(call: () => Promise<T>): Promise<{ result?: T; failure?: unknown }> {
  try {
    return { result: await call() }
  } catch (failure) {
    return { failure }
  }
}

describe('a server that challenges every DPoP nonce (dpop.rejectEveryNonce)', () => {
  it('client credentials: DPOP_NONCE_LOOP after exactly 2 token requests, no tokens', async () => {
    const client = await h.client({ clientId: 'm2m', clientSecret: 'm2m-secret', dpop: true })
    h.server.control.setFaults({ dpop: { rejectEveryNonce: true } })
    const { result, failure } = await outcome<TokenSet>(() =>
      client.clientCredentials({ scope: 'api:read' }),
    )
    expect(result).toBeUndefined()
    expect(failure).toBeInstanceOf(ValidationError)
    expect(failure).toMatchObject({ code: 'DPOP_NONCE_LOOP' })
    expect(h.server.control.requests({ endpoint: 'token' }).map((r) => r.status)).toEqual([
      400, 400,
    ])
  })

  it('code flow of the spa client: DPOP_NONCE_LOOP after exactly 2 token requests', async () => {
    const client = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT, dpop: true })
    const { params, transaction } = await login(client)
    h.server.control.clearRequests()
    h.server.control.setFaults({ dpop: { rejectEveryNonce: true } })
    const { result, failure } = await outcome<TokenSet>(() =>
      client.handleAuthorizationResponse(params, transaction),
    )
    expect(result).toBeUndefined()
    expect(failure).toMatchObject({ code: 'DPOP_NONCE_LOOP' })
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(2)
  })

  it('resource request: DPOP_NONCE_LOOP after exactly 2 requests to the API', async () => {
    const client = await h.client({ clientId: 'm2m', clientSecret: 'm2m-secret', dpop: true })
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    h.server.control.setFaults({ dpop: { rejectEveryNonce: true } })
    const { result, failure } = await outcome(() =>
      client.fetchProtectedResource(`${h.server.issuer}/api/me`, tokens),
    )
    expect(result).toBeUndefined()
    expect(failure).toMatchObject({ code: 'DPOP_NONCE_LOOP' })
    expect(h.server.control.requests({ endpoint: 'api' }).map((r) => r.status)).toEqual([401, 401])
  })

  it('pushed authorization request: DPOP_NONCE_LOOP after exactly 2 pushes, no URL', async () => {
    const client = await h.client({
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      dpop: true,
      par: true,
    })
    h.server.control.setFaults({ dpop: { rejectEveryNonce: true } })
    const { result, failure } = await outcome(() => client.createAuthorizationRequest())
    expect(result).toBeUndefined()
    expect(failure).toBeInstanceOf(ValidationError)
    expect(failure).toMatchObject({ code: 'DPOP_NONCE_LOOP' })
    expect(h.server.control.requests({ endpoint: 'par' }).map((r) => r.status)).toEqual([400, 400])

    // A single demand is still met with one retry.
    const fresh = await h.client({
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      dpop: true,
      par: true,
    })
    h.server.control.setFaults({ dpop: { nonceEveryRequest: true } })
    h.server.control.clearRequests()
    const { url } = await fresh.createAuthorizationRequest()
    expect(url.searchParams.get('request_uri')).toEqual(expect.any(String))
    expect(h.server.control.requests({ endpoint: 'par' }).map((r) => r.status)).toEqual([400, 201])
  })

  it('without the fault the same client gets its tokens with a single request', async () => {
    const client = await h.client({ clientId: 'm2m', clientSecret: 'm2m-secret', dpop: true })
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    expect(tokens.tokenType).toBe('DPoP')
    expect(h.server.control.requests({ endpoint: 'token' }).map((r) => r.status)).toEqual([200])
  })
})
