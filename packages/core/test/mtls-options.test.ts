/**
 * Mutual-TLS options (RFC 8705) at construction: the certificate must come with `fetch`, the
 * aliases must be https, public-client cores take no mTLS authentication. The requests
 * themselves are tested end to end in @openrp/node (mtlsFetch against the reference server).
 */
import { describe, expect, it } from 'vitest'
import {
  Client,
  createClientCore,
  createPublicClientCore,
  InvalidArgumentError,
  type ServerMetadata,
  ValidationError,
} from '../src/index.ts'

const metadata: ServerMetadata = {
  issuer: 'https://op.example.test',
  token_endpoint: 'https://op.example.test/token',
  mtls_endpoint_aliases: { token_endpoint: 'https://mtls.op.example.test/token' },
}

const certFetch: typeof fetch = (...args) => fetch(...args)

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('mTLS client options', () => {
  it('tls_client_auth and self_signed_tls_client_auth need a custom fetch (INVALID_ARGUMENT)', () => {
    for (const clientAuth of ['tls_client_auth', 'self_signed_tls_client_auth'] as const) {
      const error = thrown(() => new Client(metadata, { clientId: 'daemon', clientAuth }))
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' })
      expect((error as Error).message).toMatch(/mtlsFetch.*@openrp\/node/)
      const core = createClientCore(metadata, { clientId: 'daemon', clientAuth, fetch: certFetch })
      expect(core.options.clientAuth).toBe(clientAuth)
    }
  })

  it('mTLS authentication turns the aliases on; mtlsEndpointAliases turns them on for others', () => {
    const mtls = createClientCore(metadata, {
      clientId: 'daemon',
      clientAuth: 'tls_client_auth',
      fetch: certFetch,
    })
    expect(mtls.options.mtlsEndpointAliases).toBe(true)
    expect(mtls.client.use_mtls_endpoint_aliases).toBe(true)
    const secret = createClientCore(metadata, { clientId: 'web', clientSecret: 's' })
    expect(secret.options.mtlsEndpointAliases).toBe(false)
    expect(secret.client.use_mtls_endpoint_aliases).toBeUndefined()
    const bound = createPublicClientCore(metadata, {
      clientId: 'native',
      mtlsEndpointAliases: true,
      fetch: certFetch,
    })
    expect(bound.client.use_mtls_endpoint_aliases).toBe(true)
  })

  it('refuses aliases that are not https URLs when it would use them (METADATA_INVALID)', () => {
    const options = { clientId: 'daemon', clientAuth: 'tls_client_auth', fetch: certFetch } as const
    for (const aliases of [
      { token_endpoint: 'http://mtls.op.example.test/token' },
      { token_endpoint: 'not a url' },
      { token_endpoint: 42 },
      'https://mtls.op.example.test',
    ]) {
      const broken = { ...metadata, mtls_endpoint_aliases: aliases } as unknown as ServerMetadata
      const error = thrown(() => createClientCore(broken, options))
      expect(error).toBeInstanceOf(ValidationError)
      expect(error).toMatchObject({ code: 'METADATA_INVALID' })
      // A client that does not use the aliases does not care.
      expect(() => createClientCore(broken, { clientId: 'web', clientSecret: 's' })).not.toThrow()
    }
    // RFC 8705 §5: aliases are optional.
    const { mtls_endpoint_aliases: _, ...none } = metadata
    expect(() => createClientCore(none, options)).not.toThrow()
  })

  it('a public-client core takes no mTLS client authentication', () => {
    const error = thrown(() =>
      createPublicClientCore(metadata, {
        clientId: 'daemon',
        clientAuth: 'tls_client_auth',
        fetch: certFetch,
      }),
    )
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
