/**
 * JWT-secured authorization requests (JAR, RFC 9101) at /authorize and /par: the `request`
 * parameter is verified against the client's registered JWKS and replaces every other
 * parameter. A request object whose `jti` was already taken is refused until it expires. A
 * `request_uri` other than this server's own PAR URNs is refused.
 */
import { createLocalJWKSet, errors as joseErrors, jwtVerify } from 'jose'
import { AuthorizationError } from './authorization-request.ts'
import type { ServerState } from './state.ts'
import type { ClientConfig } from './types.ts'

/** Algs accepted for request objects (published as request_object_signing_alg_values_supported). */
export const REQUEST_OBJECT_ALGS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA', 'Ed25519']

/** Longest accepted request object lifetime (`exp` from now, and age by `iat`), seconds. */
export const REQUEST_OBJECT_MAX_LIFETIME = 3600

/** The `request_uri` prefix of this server's pushed requests (RFC 9126 §2.2). */
export const PAR_URN_PREFIX = 'urn:ietf:params:oauth:request_uri:'

/** JWT claims of the object that are not authorization request parameters. */
const JWT_CLAIMS = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sub'])

/** Clock tolerance for request objects, seconds. */
const TOLERANCE = 5

/** Whether `client` (or the whole server) only takes signed request objects. */
export function requiresSignedRequestObject(state: ServerState, client: ClientConfig): boolean {
  return (
    state.options.requireSignedRequestObject === true ||
    client.require_signed_request_object === true
  )
}

const invalid = (description: string) =>
  new AuthorizationError('invalid_request_object', description)

/**
 * Takes the `jti` of a verified request object of `clientId` that is valid until `expiresAt`
 * (seconds, tolerance included); false when that client's object with this `jti` was already
 * taken: a replay (`jti` is what lets a JWT's replay be detected, RFC 7519 §4.1.7). The `jti`s of
 * expired objects are forgotten first (an expired object is refused by its `exp`), so the memory
 * holds only live ones.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1.7
 */
export function takeRequestObjectJti(
  state: ServerState,
  clientId: string,
  jti: string,
  expiresAt: number,
): boolean {
  const now = state.now()
  for (const [key, until] of state.requestObjectJtis) {
    if (until < now) state.requestObjectJtis.delete(key)
  }
  const key = `${clientId} ${jti}`
  if (state.requestObjectJtis.has(key)) return false
  state.requestObjectJtis.set(key, expiresAt)
  return true
}

/**
 * The authorization parameters of `params`: those of its verified request object when it has
 * `request` (RFC 9101 §6.3: outer parameters are ignored, `client_id` must match), else `params`
 * itself, which a client with `require_signed_request_object` may not send. Every refusal has no
 * redirect target: the redirect URI inside an unverified object is not to be trusted.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9101#section-6
 */
export async function resolveRequestObject(
  state: ServerState,
  params: URLSearchParams,
): Promise<URLSearchParams> {
  const clientId = params.get('client_id')
  const client = clientId ? state.clients.get(clientId) : undefined
  if (!client) throw new AuthorizationError('invalid_request', 'unknown or missing client_id')
  const request = params.get('request')
  if (request === null) {
    if (requiresSignedRequestObject(state, client))
      throw new AuthorizationError(
        'invalid_request',
        'this client must send its authorization request as a signed request object',
      )
    return params
  }
  if (params.has('request_uri'))
    throw new AuthorizationError('invalid_request', 'request and request_uri cannot be combined')
  return verifyRequestObject(state, client, request)
}

async function verifyRequestObject(
  state: ServerState,
  client: ClientConfig,
  request: string,
): Promise<URLSearchParams> {
  if (!client.jwks) throw invalid('this client has no registered keys to verify request objects')
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload']
  let typ: string | undefined
  try {
    ;({
      payload,
      protectedHeader: { typ },
    } = await jwtVerify(request, createLocalJWKSet(client.jwks), {
      issuer: client.client_id,
      audience: state.issuer,
      algorithms: REQUEST_OBJECT_ALGS,
      requiredClaims: ['exp'],
      currentDate: new Date(state.now() * 1000),
      clockTolerance: TOLERANCE,
    }))
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) throw invalid(`request object rejected: ${err.code}`)
    throw err
  }
  // RFC 9101 §10.8: explicit typing; an untyped object is still accepted (older clients).
  if (typ !== undefined && typ.toLowerCase() !== 'oauth-authz-req+jwt')
    throw invalid(`request object typ must be oauth-authz-req+jwt, not ${typ}`)
  const now = state.now()
  if (payload.exp! - now > REQUEST_OBJECT_MAX_LIFETIME)
    throw invalid('request object lives too long')
  if (payload.iat !== undefined) {
    if (payload.iat > now + TOLERANCE) throw invalid('request object iat is in the future')
    if (now - payload.iat > REQUEST_OBJECT_MAX_LIFETIME + TOLERANCE)
      throw invalid('request object is too old (iat)')
  }
  if (payload.client_id !== client.client_id)
    throw invalid('client_id of the request object does not match the request')
  if ('request' in payload || 'request_uri' in payload)
    throw invalid('a request object cannot contain request or request_uri')
  // One use per jti (RFC 7519 §4.1.7); an object without one cannot be told from its replay.
  if (payload.jti !== undefined) {
    if (typeof payload.jti !== 'string' || payload.jti === '')
      throw invalid('request object jti must be a non-empty string')
    if (!takeRequestObjectJti(state, client.client_id, payload.jti, payload.exp! + TOLERANCE))
      throw invalid('request object jti was already used')
  }

  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(payload)) {
    if (JWT_CLAIMS.has(name) || value === undefined || value === null) continue
    if (name === 'resource' && Array.isArray(value)) {
      for (const r of value) params.append(name, String(r))
    } else if (typeof value === 'object') {
      params.set(name, JSON.stringify(value)) // claims, authorization_details
    } else {
      params.set(name, String(value)) // max_age is a number in the object
    }
  }
  return params
}
