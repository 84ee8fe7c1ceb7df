/**
 * createPublicClientCore resolves public-client options only (resolvePublicClientOptions): a
 * secret, a private key or another authentication method is refused up front.
 */
import { describe, expect, it } from 'vitest'
import { createPublicClientCore } from '../src/index.ts'

const metadata = {
  issuer: 'https://op.example.test',
  authorization_endpoint: 'https://op.example.test/authorize',
  token_endpoint: 'https://op.example.test/token',
}

describe('createPublicClientCore options', () => {
  it('is a client without authentication', () => {
    const core = createPublicClientCore(metadata, { clientId: 'spa', clientAuth: 'none' })
    expect(core.options.clientAuth).toBe('none')
    expect(core.options.scope).toBe('openid')
  })

  it('refuses a secret, a private key or another method with INVALID_ARGUMENT', () => {
    for (const options of [
      { clientId: 'spa', clientSecret: 's' },
      { clientId: 'spa', privateKey: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' } },
      { clientId: 'spa', clientAuth: 'client_secret_post' as const },
      { clientId: 'spa', clientAuth: 'tls_client_auth' as const },
    ]) {
      expect(() => createPublicClientCore(metadata, options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
    }
  })

  it('checks the other options as createClientCore does', () => {
    for (const options of [
      { clientId: '' },
      { clientId: 'spa', timeoutMs: -1 },
      { clientId: 'spa', idTokenSignedResponseAlg: 'HS256' },
    ]) {
      expect(() => createPublicClientCore(metadata, options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
    }
  })
})
