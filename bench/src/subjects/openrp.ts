import {
  type Client,
  discover,
  MemoryStore,
  type Store,
  TokenManager,
  TokenSet,
} from '@openrp/core'
import { ClientCredentialsProvider } from '@openrp/node'
import { DEMO_USERS } from '@openrp/reference-server'

/** The reference server's demo daemon client (client credentials). */
export const discoverM2m = (issuer: string) =>
  discover(issuer, { clientId: 'm2m', clientSecret: 'm2m-secret' })

/** A ClientCredentialsProvider with the default in-memory cache. */
export const ccProvider = (client: Client) => new ClientCredentialsProvider({ client })

/** The call a daemon makes before each API request. */
export async function ccToken(provider: ClientCredentialsProvider): Promise<string> {
  return (await provider.getToken({ scope: 'api:read' })).accessToken
}

/**
 * A TokenManager holding a token set with a refresh token, got from the demo
 * `legacy-password` client (the one grant that needs no browser). `expired` backdates it so the
 * next getAccessToken() must refresh.
 */
export async function tokenManagerWithSession(
  issuer: string,
  { expired = false, store = new MemoryStore() as Store, key = 'bench' } = {},
): Promise<TokenManager> {
  const { client, tokens } = await passwordSession(issuer)
  const json = tokens.toJSON()
  if (expired) json.expiresAt = Math.floor(Date.now() / 1000) - 60
  const manager = new TokenManager({ client, store, key })
  await manager.setTokenSet(TokenSet.fromJSON(json))
  return manager
}

/** A client of the demo `legacy-password` client and a token set with a refresh token. */
async function passwordSession(issuer: string) {
  const client = await discover(issuer, {
    clientId: 'legacy-password',
    clientSecret: 'password-secret',
    clientAuth: 'client_secret_post',
  })
  const user = DEMO_USERS[0]!
  const tokens = await client.password({
    username: user.username,
    password: user.password,
    scope: 'openid offline_access api:read',
  })
  return { client, tokens }
}
