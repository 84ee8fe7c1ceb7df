/**
 * Validation of authorization request parameters (RFC 6749 §4.1.1, OIDC Core §3, RFC 7636,
 * OAuth 2.0 Multiple Response Types, RFC 8707), shared by /authorize and /par.
 */
import { splitList } from './http.ts'
import type { AuthorizationRequest, ServerState } from './state.ts'
import type { ClientConfig, ResponseType } from './types.ts'

export const RESPONSE_TYPES: ResponseType[] = [
  'code',
  'code id_token',
  'code token',
  'code id_token token',
  'id_token',
  'id_token token',
]
export const RESPONSE_MODES = ['query', 'fragment', 'form_post'] as const
const PROMPTS = ['none', 'login', 'consent', 'select_account']

/** Where to send an error, once client_id and redirect_uri are known to be good. */
export interface ErrorTarget {
  redirectUri: string
  responseMode: AuthorizationRequest['responseMode']
  state?: string
}

/** A refused authorization request; with `target` the error goes back to the client. */
export class AuthorizationError extends Error {
  readonly error: string
  readonly target?: ErrorTarget
  constructor(error: string, description: string, target?: ErrorTarget) {
    super(description)
    this.name = 'AuthorizationError'
    this.error = error
    this.target = target
  }
}

/** A loopback IP redirect URI as written: host, port (may be absent) and the rest, verbatim. */
const LOOPBACK_REDIRECT = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::([1-9]\d{0,4}))?([/?][^#]*)?$/

/**
 * Exact redirect URI match (RFC 9700 §4.1.3: simple string comparison); loopback IP redirects
 * of native clients match on any port (RFC 8252 §7.3), the rest of the string still exactly.
 */
export function redirectUriAllowed(client: ClientConfig, uri: string): boolean {
  const registered = client.redirect_uris ?? []
  if (registered.includes(uri)) return true
  if (client.application_type !== 'native') return false
  const given = LOOPBACK_REDIRECT.exec(uri)
  if (!given || Number(given[2] ?? 80) > 65535) return false
  return registered.some((r) => {
    const reg = LOOPBACK_REDIRECT.exec(r)
    return reg !== null && reg[1] === given[1] && (reg[3] ?? '') === (given[3] ?? '')
  })
}

function defaultMode(responseType: ResponseType): AuthorizationRequest['responseMode'] {
  return responseType === 'code' ? 'query' : 'fragment'
}

/**
 * Validates the parameters (a request object's, once `resolveRequestObject` verified it).
 * Errors found before client_id and redirect_uri are trusted have no
 * `target` (they are shown to the user, never redirected).
 */
export function validateAuthorizationRequest(
  state: ServerState,
  params: URLSearchParams,
): AuthorizationRequest {
  const clientId = params.get('client_id')
  const client = clientId ? state.clients.get(clientId) : undefined
  if (!client) throw new AuthorizationError('invalid_request', 'unknown or missing client_id')
  const redirectUri = params.get('redirect_uri')
  if (!redirectUri) throw new AuthorizationError('invalid_request', 'redirect_uri is required')
  if (!redirectUriAllowed(client, redirectUri)) {
    throw new AuthorizationError(
      'invalid_request',
      'redirect_uri is not registered for this client',
    )
  }

  const rawType = params.get('response_type') ?? ''
  const responseType = RESPONSE_TYPES.find(
    (t) => t.split(' ').sort().join(' ') === splitList(rawType).sort().join(' '),
  )
  const rawMode = params.get('response_mode')
  const validMode = RESPONSE_MODES.find((m) => m === rawMode)
  const target: ErrorTarget = {
    redirectUri,
    responseMode: validMode ?? (responseType ? defaultMode(responseType) : 'query'),
    state: params.get('state') ?? undefined,
  }
  const fail = (error: string, description: string): never => {
    throw new AuthorizationError(error, description, target)
  }

  if (rawType === '') return fail('invalid_request', 'response_type is required')
  if (!responseType) return fail('unsupported_response_type', 'unsupported response_type')
  if (rawMode !== null && !validMode) fail('invalid_request', 'unsupported response_mode')
  const responseMode = validMode ?? defaultMode(responseType)
  if (responseMode === 'query' && responseType !== 'code') {
    fail('invalid_request', 'response_mode query cannot carry tokens')
  }
  if (!(client.response_types ?? ['code']).includes(responseType)) {
    fail('unauthorized_client', `this client may not use response_type ${responseType}`)
  }
  // RFC 8705 §3: a bound token is bound at the token endpoint, over TLS with the client's
  // certificate; an access token in the redirect cannot be, so such a client gets none there.
  if (
    client.tls_client_certificate_bound_access_tokens &&
    responseType.split(' ').includes('token')
  ) {
    fail(
      'unauthorized_client',
      'this client gets only certificate-bound access tokens, which the authorization endpoint cannot issue',
    )
  }
  const needsGrant = responseType.includes('code') ? 'authorization_code' : 'implicit'
  if (!client.grant_types.includes(needsGrant)) {
    fail('unauthorized_client', `this client may not use the ${needsGrant} grant`)
  }

  let scope = splitList(params.get('scope'))
  const allowed = splitList(client.scope)
  const refused = scope.filter((s) => !allowed.includes(s))
  if (refused.length)
    fail('invalid_scope', `scope not allowed for this client: ${refused.join(' ')}`)
  if (responseType.includes('id_token') && !scope.includes('openid')) {
    fail('invalid_scope', 'response types with id_token need the openid scope')
  }
  const nonce = params.get('nonce') ?? undefined
  if (responseType !== 'code' && scope.includes('openid') && !nonce) {
    fail('invalid_request', 'nonce is required for implicit and hybrid flows')
  }

  const method = params.get('code_challenge_method')
  const challenge = params.get('code_challenge') ?? undefined
  if (method !== null && method !== 'S256') {
    fail('invalid_request', 'code_challenge_method must be S256 (plain is refused)')
  }
  if (challenge !== undefined) {
    if (method === null) fail('invalid_request', 'code_challenge_method S256 is required')
    if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) fail('invalid_request', 'malformed code_challenge')
  } else if (method !== null) {
    fail('invalid_request', 'code_challenge is missing')
  }
  // RFC 9700 §2.1.1: PKCE for every client of the code flow, confidential ones too.
  if (responseType.includes('code') && challenge === undefined) {
    fail('invalid_request', 'PKCE (code_challenge with S256) is required')
  }

  const prompt = splitList(params.get('prompt'))
  if (prompt.some((p) => !PROMPTS.includes(p))) fail('invalid_request', 'unsupported prompt value')
  if (prompt.includes('none') && prompt.length > 1) {
    fail('invalid_request', 'prompt=none cannot be combined with other values')
  }
  // OpenID Connect Core §11: offline_access (a refresh token) needs a response type with a code
  // and prompt=consent; otherwise it is ignored, as node-oidc-provider does.
  if (
    scope.includes('offline_access') &&
    (!responseType.includes('code') ||
      (!prompt.includes('consent') && state.options.offlineAccessWithoutConsent !== true))
  ) {
    scope = scope.filter((s) => s !== 'offline_access')
  }
  const rawMaxAge = params.get('max_age')
  let maxAge: number | undefined
  if (rawMaxAge !== null) {
    if (!/^\d+$/.test(rawMaxAge)) fail('invalid_request', 'max_age must be a non-negative integer')
    maxAge = Number(rawMaxAge)
  }
  const resource = params.getAll('resource')
  for (const r of resource) {
    if (!(client.allowed_audiences ?? []).includes(r)) {
      fail('invalid_target', `resource not allowed for this client: ${r}`)
    }
  }
  const dpopJkt = params.get('dpop_jkt') ?? undefined
  if (dpopJkt !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(dpopJkt)) {
    fail('invalid_request', 'malformed dpop_jkt')
  }

  return {
    clientId: client.client_id,
    redirectUri,
    responseType,
    responseMode,
    scope,
    state: target.state,
    nonce,
    codeChallenge: challenge,
    prompt,
    maxAge,
    loginHint: params.get('login_hint') ?? undefined,
    acrValues: splitList(params.get('acr_values')),
    dpopJkt,
    resource,
  }
}
