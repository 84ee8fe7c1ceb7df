/**
 * Automatic PAR (RFC 9126 §5): when the provider's metadata says
 * `require_pushed_authorization_requests`, the client pushes the request although the caller
 * never asked for `par`. Real reference server over HTTP; its `par-only` client refuses a
 * front-channel request that was not pushed.
 */
import {
  completeLogin,
  DEMO_CLIENTS,
  DEMO_SPA_ORIGIN,
  DEMO_USERS,
  type ReferenceServer,
  startReferenceServer,
} from '@openrp/reference-server'
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  Client,
  discoverMetadata,
  isOpenRpError,
  OAuthError,
  type ServerMetadata,
} from '../src/index.ts'

const REDIRECT = `${DEMO_SPA_ORIGIN}/callback.html`
const spa = DEMO_CLIENTS.find((c) => c.client_id === 'spa')!

let server: ReferenceServer
let metadata: ServerMetadata

beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    clients: [spa, { ...spa, client_id: 'par-only', require_pushed_authorization_requests: true }],
  })
  metadata = await discoverMetadata(server.issuer)
})
afterEach(() => server.control.clearRequests())
afterAll(() => server.close())

/** The provider's metadata as published, with `require_pushed_authorization_requests: true`. */
function parRequiredMetadata(): ServerMetadata {
  return { ...metadata, require_pushed_authorization_requests: true }
}

describe('PAR required by the provider', () => {
  it('pushes the request without a `par` option; the URL carries only client_id and request_uri', async () => {
    const client = new Client(parRequiredMetadata(), {
      clientId: 'par-only',
      redirectUri: REDIRECT,
      scope: 'openid profile',
    })
    const { url, transaction } = await client.createAuthorizationRequest({
      prompt: 'login',
      loginHint: 'alice',
    })
    expect(url.origin + url.pathname).toBe(metadata.authorization_endpoint)
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    expect(url.searchParams.get('client_id')).toBe('par-only')
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/)

    const pushed = server.control.requests({ endpoint: 'par' })
    expect(pushed).toHaveLength(1)
    expect(pushed[0]).toMatchObject({ method: 'POST', status: 201, clientId: 'par-only' })

    const { params } = await completeLogin(url)
    expect(params.get('state')).toBe(transaction.state)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens.claims()?.sub).toBe(DEMO_USERS[0]!.sub)
    expect(tokens.claims()?.nonce).toBe(transaction.nonce)
    // Profile claims come from userinfo in the code flow (OpenID Connect Core §5.4).
    expect((await client.userinfo(tokens)).preferred_username).toBe('alice')
  })

  it('the provider refuses that client when the request is not pushed (what automatic PAR avoids)', async () => {
    // Same client, metadata that does not say PAR is required: the request goes front-channel.
    const client = new Client(metadata, { clientId: 'par-only', redirectUri: REDIRECT })
    const { url } = await client.createAuthorizationRequest()
    expect(url.searchParams.get('request_uri')).toBeNull()
    expect(url.searchParams.get('code_challenge')).toEqual(expect.any(String))
    const page = await fetch(url, { redirect: 'manual' })
    expect(page.status).toBe(400)
    expect(await page.text()).toContain('data-openrp-error="invalid_request"')
    expect(server.control.requests({ endpoint: 'par' })).toHaveLength(0)
  })

  it('pushes for any client when the metadata requires it (here one the server does not force)', async () => {
    const client = new Client(parRequiredMetadata(), { clientId: 'spa', redirectUri: REDIRECT })
    const { url, transaction } = await client.createAuthorizationRequest()
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    expect(server.control.requests({ endpoint: 'par' })).toHaveLength(1)
    const { params } = await completeLogin(url)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens.claims()?.sub).toEqual(expect.any(String))
  })

  it('a failed push is a typed error and no front-channel URL is produced', async () => {
    server.control.setFaults({ http: { par: { status: 503, times: 1 } } })
    try {
      const client = new Client(parRequiredMetadata(), {
        clientId: 'par-only',
        redirectUri: REDIRECT,
      })
      const error = await client.createAuthorizationRequest().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isOpenRpError(error) && error.code).toBe('OAUTH_ERROR')
      expect(error).toBeInstanceOf(OAuthError)
      expect((error as OAuthError).status).toBe(503)
      expect(server.control.requests({ endpoint: 'par' })).toHaveLength(1)
      expect(server.control.requests({ endpoint: 'authorize' })).toHaveLength(0)
    } finally {
      server.control.resetFaults()
    }
  })
})
