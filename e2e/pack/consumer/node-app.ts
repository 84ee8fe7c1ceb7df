// A Node app's use of the published packages, type-checked against the installed tarballs under
// `nodenext` and `bundler` with lib ES2022 and @types/node only (no DOM), skipLibCheck off.
import {
  type Client,
  discover,
  EncryptedStore,
  isOpenRpError,
  type Jwk,
  MemoryStore,
  TokenManager,
  type TokenSet,
  type WebCryptoKeyPair,
} from '@openrp/core'
import {
  ClientCredentialsProvider,
  DependencyMissingError,
  FileStore,
  type RedisClient,
  RedisStore,
  mtlsFetch,
} from '@openrp/node'
import { DEMO_PRIVATE_KEY_JWK, startReferenceServer } from '@openrp/reference-server'

export async function main(): Promise<string> {
  const server = await startReferenceServer({ port: 0 })
  const dpop = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ])) as WebCryptoKeyPair
  const jwk: Jwk = DEMO_PRIVATE_KEY_JWK
  const client: Client = await discover(server.issuer, {
    clientId: 'pkjwt',
    clientAuth: 'private_key_jwt',
    privateKey: jwk,
    dpop,
  })
  const provider = new ClientCredentialsProvider({
    client,
    store: new FileStore({ dir: '.tokens' }),
  })
  const tokens: TokenSet = await provider.getToken({ scope: 'api:read' })
  const store = new EncryptedStore(new MemoryStore(), { key: new Uint8Array(32) })
  const manager = new TokenManager({ client, store, key: 'k' })
  await manager.setTokenSet(tokens)
  const withClient = (redis: RedisClient) => new RedisStore({ client: redis })
  void withClient
  const certFetch: typeof fetch = mtlsFetch({ cert: 'pem', key: 'pem' })
  void certFetch
  try {
    await new RedisStore({ url: 'redis://127.0.0.1:6379' }).get('k')
  } catch (error) {
    if (error instanceof DependencyMissingError) return error.dependency
    if (isOpenRpError(error, 'STORE_ERROR')) return error.code
  }
  await server.close()
  return manager.getAccessToken()
}
