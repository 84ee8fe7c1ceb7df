/**
 * The daemon: a backend service that
 *   1. gets a machine-to-machine token (client credentials) through ClientCredentialsProvider,
 *      cached in a FileStore (or Redis when REDIS_URL is set), so a second run reuses it;
 *   2. calls a protected API with it (createAuthorizedFetch);
 *   3. exchanges a user's token for a downstream token, with its own M2M token as the actor
 *      (RFC 8693 delegation), and calls the API on the user's behalf.
 *
 *   pnpm --filter @openrp/demo-node daemon
 *
 * Prints each step, plus `KEY=value` lines (M2M_TOKEN=cached|new, API_STATUS, ...) for scripts
 * and tests. Never prints a token. See README.md for the environment variables.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { type ClientAuthMethod, discover, isOpenRpError, type Lock, type Store } from '@openrp/core'
import {
  ClientCredentialsProvider,
  createAuthorizedFetch,
  exchangeOnBehalfOf,
  FileStore,
  RedisLock,
  RedisStore,
} from '@openrp/node'
import { completeLogin } from '@openrp/reference-server'
import { setting, useProvider } from './provider.ts'

const env = process.env
const provider = await useProvider(env)
const closers: (() => Promise<void>)[] = [() => provider.close()]
let exitCode = 0
try {
  await run(provider.issuer)
} catch (error) {
  exitCode = 1
  const code = isOpenRpError(error) ? error.code : 'UNEXPECTED'
  console.error(`\nFailed: ${error instanceof Error ? error.message : String(error)}`)
  console.log(`ERROR=${code}`)
} finally {
  for (const close of closers.reverse()) await close().catch(() => {})
}
process.exit(exitCode)

async function run(issuer: string): Promise<void> {
  // --- 1. The M2M token ----------------------------------------------------------------------
  const clientId = setting(env, 'CLIENT_ID', 'm2m')
  let tokenRequests = 0
  let tokenEndpoint: string | undefined
  const m2m = await discover(issuer, {
    clientId,
    clientSecret: setting(env, 'CLIENT_SECRET', 'm2m-secret'),
    ...clientAuth('CLIENT_AUTH'),
    // Counts calls to the token endpoint, to show whether the cached token was reused.
    fetch: (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      if (tokenEndpoint !== undefined && url.startsWith(tokenEndpoint)) tokenRequests++
      return fetch(input, init)
    },
  })
  tokenEndpoint = m2m.metadata.token_endpoint
  const { store, lock, where } = tokenCache()
  const tokens = new ClientCredentialsProvider({
    client: m2m,
    store,
    ...(lock && { lock }),
    // One cache entry per provider and client, so several demos can share the store.
    keyPrefix: `openrp-demo:daemon:${issuer}:${clientId}:`,
  })
  // Closed before the store and lock (closers run in reverse): a background renewal ends first.
  closers.push(() => tokens.close())
  const scope = setting(env, 'SCOPE', 'api:read')
  const audience = setting(env, 'AUDIENCE')
  const tokenOptions = { scope, ...(audience !== undefined && { audience }) }

  const m2mToken = await tokens.getToken(tokenOptions)
  const reused = tokenRequests === 0
  console.log(`\n[1/3] M2M token for client "${clientId}" (scope "${scope}")`)
  console.log(
    reused
      ? `      reused the cached token from ${where}: no request to the token endpoint`
      : `      requested a new token from the token endpoint, cached in ${where}`,
  )
  console.log(`      valid for ${m2mToken.expiresIn() ?? 'an unknown number of'} more seconds`)
  console.log(`M2M_TOKEN=${reused ? 'cached' : 'new'}`)

  // --- 2. Call the protected API with it -----------------------------------------------------
  const apiUrl = new URL(setting(env, 'API_URL', `${issuer}/api/data`))
  const api = createAuthorizedFetch(tokens, { ...tokenOptions, allowedOrigins: [apiUrl.origin] })
  const before = tokenRequests
  const response = await api(apiUrl)
  console.log(`\n[2/3] GET ${apiUrl.href} -> ${response.status}`)
  if (tokenRequests > before)
    console.log('      the API refused the cached token (401): got a new one and retried once')
  console.log(`      ${summary(await response.text())}`)
  console.log(`API_STATUS=${response.status}`)
  if (!response.ok) throw new Error(`the API answered ${response.status}`)

  // --- 3. On behalf of a user: token exchange (delegation) -----------------------------------
  console.log('\n[3/3] Token exchange (RFC 8693 delegation): user token + own M2M token as actor')
  const userToken = await theUsersToken(issuer)
  const exchanger = await discover(issuer, {
    clientId: setting(env, 'EXCHANGE_CLIENT_ID', 'exchange'),
    clientSecret: setting(env, 'EXCHANGE_CLIENT_SECRET', 'exchange-secret'),
    ...clientAuth('EXCHANGE_CLIENT_AUTH', 'client_secret_post'),
  })
  const downstreamAudience = setting(env, 'DOWNSTREAM_AUDIENCE')
  const downstream = await exchangeOnBehalfOf(exchanger, {
    subjectToken: userToken,
    // This service's own M2M token says who is acting for the user.
    actor: tokens,
    actorTokenOptions: tokenOptions,
    scope: setting(env, 'DOWNSTREAM_SCOPE', 'profile api:read'),
    ...(downstreamAudience !== undefined && { audience: downstreamAudience }),
  })
  const claims = jwtClaims(downstream.accessToken)
  if (claims) {
    const actor = (claims.act as { sub?: string } | undefined)?.sub
    console.log(`      downstream token: subject ${claims.sub}, actor ${actor ?? '(none)'}`)
  }
  const userApiUrl = new URL(setting(env, 'DOWNSTREAM_API_URL', `${issuer}/api/me`))
  const onBehalf = await fetch(userApiUrl, {
    headers: { authorization: `Bearer ${downstream.accessToken}` },
  })
  console.log(`      GET ${userApiUrl.href} on the user's behalf -> ${onBehalf.status}`)
  console.log(`      ${summary(await onBehalf.text())}`)
  console.log(`DOWNSTREAM_STATUS=${onBehalf.status}`)
  if (!onBehalf.ok) throw new Error(`the API answered ${onBehalf.status} on the user's behalf`)
  console.log('\nDone.')
}

/** FileStore by default; RedisStore + RedisLock when REDIS_URL is set (a fleet shares it). */
function tokenCache(): { store: Store; lock?: Lock; where: string } {
  const redisUrl = setting(env, 'REDIS_URL')
  if (redisUrl) {
    const store = new RedisStore({ url: redisUrl, prefix: 'openrp-demo:' })
    const lock = new RedisLock({ url: redisUrl, prefix: 'openrp-demo:lock:' })
    closers.push(
      () => store.close(),
      () => lock.close(),
    )
    return { store, lock, where: `Redis (${new URL(redisUrl).host})` }
  }
  const dir = setting(env, 'TOKEN_CACHE_DIR', join(homedir(), '.cache', 'openrp-demo', 'daemon'))
  return { store: new FileStore({ dir }), where: `the file store ${dir}` }
}

/**
 * The user's access token. A real service receives it with each request (the Authorization
 * header); here it comes from USER_TOKEN, or — on the reference server — from signing the demo
 * user in through its login page with the `cli` client.
 */
async function theUsersToken(issuer: string): Promise<string> {
  const given = setting(env, 'USER_TOKEN')
  if (given) {
    console.log('      user token: from USER_TOKEN')
    return given
  }
  const username = setting(env, 'USER_NAME', 'alice')
  const cli = await discover(issuer, {
    clientId: setting(env, 'USER_CLIENT_ID', 'cli'),
    redirectUri: 'http://127.0.0.1/callback',
    scope: 'openid profile api:read',
  })
  const { url, transaction } = await cli.createAuthorizationRequest()
  let params: URLSearchParams
  try {
    ;({ params } = await completeLogin(url, {
      username,
      password: setting(env, 'USER_PASSWORD', 'wonderland'),
    }))
  } catch (cause) {
    throw new Error(
      'could not sign the demo user in (this works on the reference server only): set USER_TOKEN to a user access token',
      { cause },
    )
  }
  const user = await cli.handleAuthorizationResponse(params, transaction)
  console.log(`      user token: ${username} signed in through the provider's login page`)
  return user.accessToken
}

function clientAuth(name: string, fallback?: ClientAuthMethod): { clientAuth?: ClientAuthMethod } {
  const value = setting(env, name) ?? fallback
  return value ? { clientAuth: value as ClientAuthMethod } : {}
}

/** The claims of a JWT access token, for display; `undefined` for opaque tokens. */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}

function summary(body: string): string {
  const text = body.replace(/\s+/g, ' ').trim()
  return text.length > 160 ? `${text.slice(0, 157)}...` : text
}
