/**
 * A static "provider" on a tiny server: metadata plus a JWKS route whose keys the test
 * controls. For ID-token, JWKS and transport unit tests only.
 */
import { createClientCore, type ServerMetadata } from '../../src/index.ts'
import type { ClientOptions } from '../../src/options.ts'
import type { TestKey } from './keys.ts'
import { json, startTinyServer, type TinyServer } from './tiny-server.ts'

export interface StaticProvider {
  server: TinyServer
  metadata: ServerMetadata
  keys: TestKey[]
  core(options?: Partial<ClientOptions>): ReturnType<typeof createClientCore>
  close(): Promise<void>
}

export async function startStaticProvider(keys: TestKey[]): Promise<StaticProvider> {
  const server = await startTinyServer()
  const provider: StaticProvider = {
    server,
    keys,
    metadata: {
      issuer: server.url,
      authorization_endpoint: `${server.url}/authorize`,
      token_endpoint: `${server.url}/token`,
      jwks_uri: `${server.url}/jwks`,
      userinfo_endpoint: `${server.url}/userinfo`,
      end_session_endpoint: `${server.url}/logout`,
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
    },
    core: (options = {}) =>
      createClientCore(provider.metadata, { clientId: 'client-1', ...options }),
    close: () => server.close(),
  }
  server.route('/jwks', (_req, res) =>
    json(res, 200, { keys: provider.keys.map((k) => k.publicJwk) }),
  )
  return provider
}
