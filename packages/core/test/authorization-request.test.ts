import { describe, expect, it } from 'vitest'
import {
  Client,
  createAuthorizationRequest,
  createClientCore,
  createPublicClientCore,
  type ServerMetadata,
} from '../src/index.ts'

const metadata: ServerMetadata = {
  issuer: 'https://op.example.test',
  authorization_endpoint: 'https://op.example.test/authorize',
  token_endpoint: 'https://op.example.test/token',
  end_session_endpoint: 'https://op.example.test/logout',
}

describe('client construction', () => {
  it('refuses plain http endpoints outside loopback', () => {
    const insecure = { ...metadata, token_endpoint: 'http://op.example.test/token' }
    expect(() => new Client(insecure, { clientId: 'c' })).toThrow(
      expect.objectContaining({ code: 'INSECURE_ENDPOINT' }),
    )
    expect(
      () => new Client(insecure, { clientId: 'c', dangerouslyAllowInsecureHttp: true }),
    ).not.toThrow()
  })

  it('builds a public client core, and refuses one with a secret or a key', async () => {
    const core = createPublicClientCore(metadata, { clientId: 'spa', redirectUri: 'app:/cb' })
    const { url } = await createAuthorizationRequest(core)
    expect(url.searchParams.get('client_id')).toBe('spa')
    for (const options of [
      { clientId: 'c', clientSecret: 's' },
      { clientId: 'c', clientAuth: 'client_secret_post' as const, clientSecret: 's' },
    ]) {
      expect(() => createPublicClientCore(metadata, options)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
    }
  })

  it.each(['http://127.0.0.1:9000', 'http://localhost:9000', 'http://[::1]:9000'])(
    'allows loopback %s',
    (issuer) => {
      expect(
        () => new Client({ issuer, token_endpoint: `${issuer}/token` }, { clientId: 'c' }),
      ).not.toThrow()
    },
  )

  it.each([
    [{}, 'INVALID_ARGUMENT'],
    [{ clientId: '' }, 'INVALID_ARGUMENT'],
    [{ clientId: 'c', clientAuth: 'client_secret_basic' }, 'INVALID_ARGUMENT'],
    [{ clientId: 'c', clientAuth: 'private_key_jwt' }, 'INVALID_ARGUMENT'],
    [{ clientId: 'c', clientAuth: 'tls_client_auth' }, 'INVALID_ARGUMENT'],
    [{ clientId: 'c', timeoutMs: -1 }, 'INVALID_ARGUMENT'],
    [{ clientId: 'c', timeoutMs: 0 }, 'INVALID_ARGUMENT'],
  ])('refuses options %j', (options, code) => {
    // @ts-expect-error testing bad input
    expect(() => new Client(metadata, options)).toThrow(expect.objectContaining({ code }))
  })

  it('refuses metadata without issuer or with a non-URL endpoint', () => {
    // @ts-expect-error testing bad input
    expect(() => new Client({}, { clientId: 'c' })).toThrow(
      expect.objectContaining({ code: 'METADATA_INVALID' }),
    )
    expect(() => new Client({ ...metadata, jwks_uri: 'not a url' }, { clientId: 'c' })).toThrow(
      expect.objectContaining({ code: 'METADATA_INVALID' }),
    )
  })
})

describe('createAuthorizationRequest', () => {
  const core = createClientCore(metadata, {
    clientId: 'c',
    redirectUri: 'https://app.example.test/cb',
  })

  it('always uses PKCE S256, a state and (for OpenID) a nonce', async () => {
    const { url, transaction } = await createAuthorizationRequest(core)
    const p = url.searchParams
    expect(p.get('code_challenge_method')).toBe('S256')
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(p.get('state')).toBe(transaction.state)
    expect(p.get('nonce')).toBe(transaction.nonce)
    expect(p.get('response_type')).toBe('code')
    expect(p.get('scope')).toBe('openid')
    expect(transaction).toMatchObject({
      responseType: 'code',
      redirectUri: 'https://app.example.test/cb',
      issuer: metadata.issuer,
    })
    expect(transaction.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/)
    expect(url.href).not.toContain(transaction.codeVerifier)
  })

  it('uses PKCE for a confidential client too', async () => {
    const confidential = createClientCore(metadata, {
      clientId: 'c',
      clientSecret: 's',
      redirectUri: 'https://a/cb',
    })
    const { url } = await createAuthorizationRequest(confidential)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
  })

  it('sends no PKCE for implicit, a nonce always', async () => {
    const { url, transaction } = await createAuthorizationRequest(core, {
      responseType: 'id_token',
      scope: 'profile',
    })
    expect(url.searchParams.get('code_challenge')).toBeNull()
    expect(transaction.codeVerifier).toBeUndefined()
    expect(transaction.nonce).toEqual(expect.any(String))
  })

  it('generates fresh values every time', async () => {
    const a = await createAuthorizationRequest(core)
    const b = await createAuthorizationRequest(core)
    expect(a.transaction.state).not.toBe(b.transaction.state)
    expect(a.transaction.codeVerifier).not.toBe(b.transaction.codeVerifier)
  })

  it.each([
    [{ responseType: 'token' }],
    [{ responseMode: 'query', responseType: 'code id_token' }],
    [{ responseMode: 'jwt' }],
    [{ maxAge: -1 }],
    [{ maxAge: 1.5 }],
    [{ extraParams: { state: 'mine' } }],
    [{ extraParams: { code_challenge_method: 'plain' } }],
    [{ extraParams: { x: 1 } }],
    [{ prompt: 5 }],
  ])('refuses %j with INVALID_ARGUMENT', async (options) => {
    // @ts-expect-error testing bad input
    await expect(createAuthorizationRequest(core, options)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })

  it('needs a redirect URI', async () => {
    const bare = createClientCore(metadata, { clientId: 'c' })
    await expect(createAuthorizationRequest(bare)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })
})

describe('endSessionUrl', () => {
  it('refuses non-string input and a provider without end_session_endpoint', () => {
    const client = new Client(metadata, { clientId: 'c' })
    // @ts-expect-error testing bad input
    expect(() => client.endSessionUrl({ state: 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
    const without = new Client({ ...metadata, end_session_endpoint: undefined }, { clientId: 'c' })
    expect(() => without.endSessionUrl()).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }))
  })
})
