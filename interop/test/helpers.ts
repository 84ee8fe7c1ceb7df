/** Shared steps of the interop suite: a login through the OP's pages, a client per OP client. */
import {
  type AuthorizationRequestOptions,
  type Client,
  type ClientOptions,
  discover,
  type TokenSet,
} from '@openrp/core'
import {
  type CertifiedOp,
  CLIENT_SECRET,
  LEGACY_REDIRECT_URI,
  POST_LOGOUT_REDIRECT_URI,
  REDIRECT_URI,
  UserAgent,
} from '../src/index.ts'

/** A discovered client of the OP, with the suite's redirect URIs. */
export function clientOf(
  op: CertifiedOp,
  clientId: string,
  options: Partial<ClientOptions> = {},
): Promise<Client> {
  const secret = [
    'confidential',
    'legacy',
    'dpop',
    'signed-userinfo',
    'signed-userinfo-rs256',
    'service',
    'secret-jwt',
  ].includes(clientId)
  return discover(op.issuer, {
    clientId,
    redirectUri: clientId === 'legacy' ? LEGACY_REDIRECT_URI : REDIRECT_URI,
    postLogoutRedirectUri: POST_LOGOUT_REDIRECT_URI,
    ...(secret && { clientSecret: CLIENT_SECRET }),
    ...(clientId === 'service' && { clientAuth: 'client_secret_post' as const }),
    ...(clientId === 'secret-jwt' && { clientAuth: 'client_secret_jwt' as const }),
    ...(clientId === 'keyed' && { privateKey: op.keys.client }),
    ...options,
  })
}

/** Where a login came back: what the client needs to finish it. */
export interface LoginResult {
  tokens: TokenSet
  /** The authorization response as it reached the redirect URI. */
  response: URLSearchParams
  browser: UserAgent
}

/**
 * Starts an authorization request, walks the OP's pages as the end user and finishes the login
 * with the client: real HTTP from end to end.
 */
export async function login(
  client: Client,
  request: AuthorizationRequestOptions = {},
  browser = new UserAgent(),
): Promise<LoginResult> {
  const { url, transaction } = await client.createAuthorizationRequest(request)
  const arrival = await browser.visit(url, transaction.redirectUri)
  if (arrival.kind === 'form_post') {
    const callback = new Request(transaction.redirectUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: arrival.params.toString(),
    })
    const tokens = await client.handleAuthorizationResponse(callback, transaction)
    return { tokens, response: arrival.params, browser }
  }
  const mode =
    transaction.responseMode ?? (transaction.responseType === 'code' ? 'query' : 'fragment')
  const response = new URLSearchParams(
    mode === 'fragment' ? arrival.url.hash.slice(1) : arrival.url.search,
  )
  const tokens = await client.handleAuthorizationResponse(arrival.url, transaction)
  return { tokens, response, browser }
}

/** Walks the OP's pages to the redirect URI without finishing the login. */
export async function authorize(
  client: Client,
  request: AuthorizationRequestOptions = {},
  browser = new UserAgent(),
) {
  const { url, transaction } = await client.createAuthorizationRequest(request)
  const arrival = await browser.visit(url, transaction.redirectUri)
  if (arrival.kind !== 'redirect') throw new Error('expected a redirect')
  return { url: arrival.url, transaction, browser }
}

/** The token requests the OP answered, by grant type. */
export function tokenRequests(op: CertifiedOp, grantType: string): number {
  return op.requests().filter((r) => r.path === '/token' && r.grantType === grantType).length
}

/** The code flow's scope that brings a refresh token from a conformant OP (with prompt=consent). */
export const OFFLINE = { scope: 'openid profile email offline_access', prompt: 'consent' } as const
