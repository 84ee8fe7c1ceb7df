/**
 * Dynamic client registration (RFC 7591, OpenID Connect Dynamic Client Registration 1.0):
 * validation of client metadata, software statements, and the registration response. Registered
 * clients join the same registry as the configured ones (`state.clients`), so every endpoint
 * treats them alike. The RFC 7592 management routes are in `endpoints/registration.ts`.
 */
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify } from 'jose'
import { RESPONSE_TYPES } from './authorization-request.ts'
import { randomId } from './crypto-utils.ts'
import { GRANT_TYPES, metadata as serverMetadata } from './endpoints/discovery.ts'
import { OAuthHttpError } from './errors.ts'
import { splitList } from './http.ts'
import type { ServerState } from './state.ts'
import type { ClientAuthMethod, ClientConfig, ResponseType } from './types.ts'

/** What the server keeps about a dynamically registered client besides its ClientConfig. */
export interface RegistrationRecord {
  /** The Bearer token of the RFC 7592 calls. */
  accessToken: string
  issuedAt: number
  /** Accepted metadata the server does not act on (client_uri, contacts, ...), echoed back. */
  extra: Record<string, unknown>
}

const AUTH_METHODS: ClientAuthMethod[] = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
]
const SECRET_METHODS = new Set<ClientAuthMethod>([
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
])
const ID_TOKEN_ALGS = ['RS256', 'ES256']
/** Metadata accepted and echoed but not acted on. */
const EXTRA_STRINGS = [
  'client_uri',
  'logo_uri',
  'tos_uri',
  'policy_uri',
  'software_id',
  'software_version',
]
/** Schemes a native app's private-use redirect URI may never have. */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'blob:', 'about:', 'vbscript:'])
/** Default scope of a registered client that names none. */
const DEFAULT_SCOPE = 'openid profile email offline_access api:read'

/** `invalid_client_metadata` (400, RFC 7591 §3.2.2). */
export function invalidClientMetadata(description: string): OAuthHttpError {
  return new OAuthHttpError('invalid_client_metadata', description)
}

function invalidRedirectUri(description: string): OAuthHttpError {
  return new OAuthHttpError('invalid_redirect_uri', description)
}

const isLoopbackHost = (host: string) =>
  host === '127.0.0.1' || host === '[::1]' || host === 'localhost'

/**
 * A redirect URI a careful provider accepts: absolute, no fragment; https, or http on a loopback
 * host; for native apps also a private-use scheme with a period (RFC 8252 §7.1).
 */
function checkRedirectUri(
  value: unknown,
  applicationType: 'web' | 'native',
  fail: (d: string) => OAuthHttpError,
): string {
  if (typeof value !== 'string') throw fail('redirect URIs must be strings')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw fail(`not an absolute URI: ${value}`)
  }
  if (value.includes('#')) throw fail(`a redirect URI must not have a fragment: ${value}`)
  if (url.protocol === 'https:') return value
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return value
    throw fail(`http is allowed on loopback hosts only: ${value}`)
  }
  if (applicationType === 'native') {
    const scheme = url.protocol.slice(0, -1)
    if (!FORBIDDEN_SCHEMES.has(url.protocol) && scheme.includes('.')) return value
    throw fail(`a private-use scheme must be a reverse domain name (RFC 8252 §7.1): ${value}`)
  }
  throw fail(`web clients need https (or http on loopback): ${value}`)
}

function stringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw invalidClientMetadata(`${name} must be an array of strings`)
  return value as string[]
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalidClientMetadata(`${name} must be a string`)
  return value
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw invalidClientMetadata(`${name} must be a boolean`)
  return value
}

/** The grants each response type needs (RFC 7591 §2.1). */
function grantsFor(responseType: ResponseType): string[] {
  const parts = responseType.split(' ')
  if (!parts.includes('code')) return ['implicit']
  return parts.length === 1 ? ['authorization_code'] : ['authorization_code', 'implicit']
}

/**
 * The claims of a software statement (RFC 7591 §2.3): a JWT signed by one of the server's
 * trusted issuers (those with a `jwks`). Malformed, expired or badly signed statements are
 * `invalid_software_statement`; a statement from an issuer the server does not trust is
 * `unapproved_software_statement`.
 */
async function softwareStatementClaims(
  state: ServerState,
  statement: unknown,
): Promise<Record<string, unknown>> {
  const invalid = (d: string) => new OAuthHttpError('invalid_software_statement', d)
  if (typeof statement !== 'string') throw invalid('software_statement must be a JWT')
  let iss: unknown
  try {
    iss = decodeJwt(statement).iss
  } catch {
    throw invalid('software_statement is not a JWT')
  }
  if (typeof iss !== 'string') throw invalid('software_statement has no iss')
  const trusted = state.trustedIssuers.find((t) => t.issuer === iss && t.jwks)
  if (!trusted)
    throw new OAuthHttpError(
      'unapproved_software_statement',
      'the software statement is not from a publisher this server trusts',
    )
  try {
    const { payload } = await jwtVerify(statement, createLocalJWKSet(trusted.jwks!), {
      issuer: iss,
      currentDate: new Date(state.now() * 1000),
      clockTolerance: 5,
      algorithms: ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'],
    })
    const { iss: _iss, iat: _iat, exp: _exp, nbf: _nbf, jti: _jti, aud: _aud, ...claims } = payload
    return claims
  } catch (err) {
    if (err instanceof joseErrors.JOSEError)
      throw invalid(`the software statement was refused: ${err.code}`)
    throw err
  }
}

/** A validated client: its config (secret still to be issued) and the echoed extras. */
export interface ValidatedMetadata {
  config: Omit<ClientConfig, 'client_id'>
  extra: Record<string, unknown>
}

/**
 * Validates client metadata as a registration (RFC 7591 §2, §3.1) or an update (RFC 7592 §2.2)
 * sends it. Throws `invalid_redirect_uri`, `invalid_client_metadata` or a software-statement
 * error (400).
 */
export async function validateClientMetadata(
  state: ServerState,
  body: unknown,
): Promise<ValidatedMetadata> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidClientMetadata('the body must be a JSON object of client metadata')
  let input = body as Record<string, unknown>
  if (input.software_statement !== undefined) {
    // RFC 7591 §3.1.1: the statement's claims take precedence over the plain JSON members.
    const claims = await softwareStatementClaims(state, input.software_statement)
    input = { ...input, ...claims }
  }

  const method = (input.token_endpoint_auth_method ?? 'client_secret_basic') as ClientAuthMethod
  if (!AUTH_METHODS.includes(method))
    throw invalidClientMetadata(`unsupported token_endpoint_auth_method: ${String(method)}`)

  const supportedGrants = new Set([...GRANT_TYPES, ...Object.keys(state.vendorGrants)])
  const grantTypes = stringList(input.grant_types, 'grant_types') ?? ['authorization_code']
  for (const grant of grantTypes)
    if (!supportedGrants.has(grant)) throw invalidClientMetadata(`unsupported grant_type: ${grant}`)
  const responseTypes =
    stringList(input.response_types, 'response_types') ??
    (grantTypes.includes('authorization_code') ? ['code'] : [])
  const normalized: ResponseType[] = responseTypes.map((raw) => {
    const sorted = splitList(raw).sort().join(' ')
    const type = RESPONSE_TYPES.find((t) => t.split(' ').sort().join(' ') === sorted)
    if (!type) throw invalidClientMetadata(`unsupported response_type: ${raw}`)
    return type
  })
  for (const type of normalized)
    for (const grant of grantsFor(type))
      if (!grantTypes.includes(grant))
        throw invalidClientMetadata(`response_type ${type} needs the ${grant} grant_type`)
  const served = new Set(normalized.flatMap(grantsFor))
  for (const grant of ['authorization_code', 'implicit'])
    if (grantTypes.includes(grant) && !served.has(grant))
      throw invalidClientMetadata(`grant_type ${grant} needs a matching response_type`)

  const applicationType = input.application_type ?? 'web'
  if (applicationType !== 'web' && applicationType !== 'native')
    throw invalidClientMetadata('application_type must be web or native')

  const redirectUris = (() => {
    const value = input.redirect_uris
    if (value === undefined) return undefined
    if (!Array.isArray(value)) throw invalidRedirectUri('redirect_uris must be an array')
    return value.map((uri) => checkRedirectUri(uri, applicationType, invalidRedirectUri))
  })()
  if (normalized.length > 0 && (redirectUris === undefined || redirectUris.length === 0))
    throw invalidRedirectUri('redirect_uris are required for code and implicit clients')
  const postLogout = stringList(input.post_logout_redirect_uris, 'post_logout_redirect_uris')?.map(
    (uri) => checkRedirectUri(uri, applicationType, invalidClientMetadata),
  )

  if (input.jwks !== undefined && input.jwks_uri !== undefined)
    throw invalidClientMetadata('jwks and jwks_uri must not both be given')
  if (input.jwks_uri !== undefined)
    throw invalidClientMetadata('jwks_uri is not supported by this server: send jwks')
  const jwks = input.jwks as ClientConfig['jwks'] | undefined
  if (
    jwks !== undefined &&
    (typeof jwks !== 'object' ||
      jwks === null ||
      !Array.isArray(jwks.keys) ||
      jwks.keys.some((k) => typeof k !== 'object' || k === null || 'd' in k))
  )
    throw invalidClientMetadata('jwks must be a JWK set of public keys')
  const requireSigned = optionalBoolean(
    input.require_signed_request_object,
    'require_signed_request_object',
  )
  if (
    (method === 'private_key_jwt' || method === 'self_signed_tls_client_auth' || requireSigned) &&
    !jwks?.keys.length
  )
    throw invalidClientMetadata(
      'private_key_jwt, self_signed_tls_client_auth and signed request objects need jwks',
    )
  // RFC 8705 §2.1.2: a tls_client_auth client names exactly one certificate subject value.
  const subjectDn = optionalString(input.tls_client_auth_subject_dn, 'tls_client_auth_subject_dn')
  const sanDns = optionalString(input.tls_client_auth_san_dns, 'tls_client_auth_san_dns')
  if (method === 'tls_client_auth' && (subjectDn === undefined) === (sanDns === undefined))
    throw invalidClientMetadata(
      'tls_client_auth needs exactly one of tls_client_auth_subject_dn and tls_client_auth_san_dns',
    )
  const certificateBound = optionalBoolean(
    input.tls_client_certificate_bound_access_tokens,
    'tls_client_certificate_bound_access_tokens',
  )

  const scopesSupported = new Set(serverMetadata(state).scopes_supported as string[])
  const scope = optionalString(input.scope, 'scope') ?? DEFAULT_SCOPE
  for (const s of splitList(scope))
    if (!scopesSupported.has(s)) throw invalidClientMetadata(`unknown scope: ${s}`)

  const idTokenAlg = optionalString(
    input.id_token_signed_response_alg,
    'id_token_signed_response_alg',
  )
  if (idTokenAlg !== undefined && !ID_TOKEN_ALGS.includes(idTokenAlg))
    throw invalidClientMetadata(`id_token_signed_response_alg must be one of ${ID_TOKEN_ALGS}`)
  const userinfoAlg = optionalString(
    input.userinfo_signed_response_alg,
    'userinfo_signed_response_alg',
  )
  if (userinfoAlg !== undefined && !ID_TOKEN_ALGS.includes(userinfoAlg))
    throw invalidClientMetadata(`userinfo_signed_response_alg must be one of ${ID_TOKEN_ALGS}`)
  const backchannel = optionalString(input.backchannel_logout_uri, 'backchannel_logout_uri')
  if (backchannel !== undefined) checkRedirectUri(backchannel, 'web', invalidClientMetadata)

  const extra: Record<string, unknown> = {}
  for (const name of EXTRA_STRINGS) {
    const value = optionalString(input[name], name)
    if (value !== undefined) extra[name] = value
  }
  const contacts = stringList(input.contacts, 'contacts')
  if (contacts) extra.contacts = contacts

  const config: Omit<ClientConfig, 'client_id'> = {
    token_endpoint_auth_method: method,
    grant_types: grantTypes,
    response_types: normalized,
    scope,
    application_type: applicationType,
    ...(redirectUris && { redirect_uris: redirectUris }),
    ...(postLogout && { post_logout_redirect_uris: postLogout }),
    ...(jwks && { jwks }),
    ...(requireSigned !== undefined && { require_signed_request_object: requireSigned }),
    ...(idTokenAlg && { id_token_signed_response_alg: idTokenAlg as 'RS256' | 'ES256' }),
    ...(userinfoAlg && { userinfo_signed_response_alg: userinfoAlg as 'RS256' | 'ES256' }),
    ...(backchannel && { backchannel_logout_uri: backchannel }),
    ...(method === 'tls_client_auth' &&
      subjectDn !== undefined && {
        tls_client_auth_subject_dn: subjectDn,
      }),
    ...(method === 'tls_client_auth' &&
      sanDns !== undefined && { tls_client_auth_san_dns: sanDns }),
    ...(certificateBound !== undefined && {
      tls_client_certificate_bound_access_tokens: certificateBound,
    }),
  }
  const name = optionalString(input.client_name, 'client_name')
  if (name !== undefined) config.client_name = name
  const dpopBound = optionalBoolean(input.dpop_bound_access_tokens, 'dpop_bound_access_tokens')
  if (dpopBound !== undefined) config.dpop_bound_access_tokens = dpopBound
  const par = optionalBoolean(
    input.require_pushed_authorization_requests,
    'require_pushed_authorization_requests',
  )
  if (par !== undefined) config.require_pushed_authorization_requests = par
  return { config, extra }
}

/** A client secret for the secret-based methods; none for `none` and `private_key_jwt`. */
export function secretFor(method: ClientAuthMethod, current?: string): string | undefined {
  if (!SECRET_METHODS.has(method)) return undefined
  return current ?? randomId(32)
}

/** The registration response (RFC 7591 §3.2.1, RFC 7592 §3) for a registered client. */
export function registrationResponse(
  state: ServerState,
  client: ClientConfig,
  record: RegistrationRecord,
): Record<string, unknown> {
  const { client_secret, ...metadata } = client
  return {
    ...metadata,
    ...record.extra,
    client_id_issued_at: record.issuedAt,
    ...(client_secret !== undefined && { client_secret, client_secret_expires_at: 0 }),
    registration_access_token: record.accessToken,
    registration_client_uri: `${state.issuer}/register/${encodeURIComponent(client.client_id)}`,
  }
}
