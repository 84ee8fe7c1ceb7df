/**
 * Client lookup and client authentication at the token, PAR, device, introspection and
 * revocation endpoints: none, client_secret_basic, client_secret_post, client_secret_jwt,
 * private_key_jwt (RFC 7523 §2.2, with `jti` replay protection), tls_client_auth and
 * self_signed_tls_client_auth (RFC 8705 §2, in mtls.ts).
 */
import { auth } from 'hono/utils/basic-auth'
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify } from 'jose'
import { safeEqual } from './crypto-utils.ts'
import { invalidClient, invalidRequest } from './errors.ts'
import type { AppContext } from './http.ts'
import { authenticateTlsClient } from './mtls.ts'
import { rememberJti, type ServerState } from './state.ts'
import type { ClientAuthMethod, ClientConfig } from './types.ts'

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

export function findClient(state: ServerState, clientId: string | null | undefined) {
  return clientId ? state.clients.get(clientId) : undefined
}

export function isPublic(client: ClientConfig): boolean {
  return client.token_endpoint_auth_method === 'none'
}

/** RFC 6749 §2.3.1: the Basic credentials are form-urlencoded before base64. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '))
}

/**
 * Authenticates the client of a back-channel request. Throws `invalid_client` (401, Basic
 * challenge) on any mismatch; public clients are refused unless `allowPublic`.
 */
export async function authenticateClient(
  state: ServerState,
  c: AppContext,
  form: URLSearchParams,
  options: { allowPublic: boolean },
): Promise<ClientConfig> {
  const hasAuthHeader = c.req.header('authorization') !== undefined
  const basic = auth(c.req.raw)
  const assertion = form.get('client_assertion')
  const secret = form.get('client_secret')
  const used = [basic && 'basic', secret !== null && 'post', assertion !== null && 'jwt'].filter(
    Boolean,
  )
  if (used.length > 1) throw invalidRequest('more than one client authentication method used')
  if (hasAuthHeader && !basic && c.req.header('authorization')?.match(/^basic /i)) {
    throw invalidClient('malformed Basic credentials')
  }

  let clientId: string | undefined
  let method: ClientAuthMethod
  if (basic) {
    try {
      clientId = formDecode(basic.username)
    } catch {
      throw invalidClient('malformed Basic credentials')
    }
    method = 'client_secret_basic'
  } else if (assertion !== null) {
    if (form.get('client_assertion_type') !== CLIENT_ASSERTION_TYPE) {
      throw invalidClient('unsupported client_assertion_type')
    }
    try {
      clientId = String(decodeJwt(assertion).iss ?? '')
    } catch {
      throw invalidClient('client_assertion is not a JWT')
    }
    method = 'private_key_jwt'
  } else {
    clientId = form.get('client_id') ?? undefined
    method = secret !== null ? 'client_secret_post' : 'none'
  }
  const formClientId = form.get('client_id')
  if (formClientId !== null && formClientId !== clientId) {
    throw invalidClient('client_id does not match the authenticated client')
  }
  const client = findClient(state, clientId)
  if (!client) throw invalidClient('unknown client')
  c.get('log').clientId = client.client_id

  const registered = client.token_endpoint_auth_method
  if (method === 'private_key_jwt' && registered === 'client_secret_jwt') method = registered
  // RFC 8705 §2: only client_id in the body; the certificate of the connection authenticates.
  if (method === 'none' && registered.endsWith('tls_client_auth')) method = registered
  if (method !== registered) {
    throw invalidClient(`this client must authenticate with ${registered}`)
  }
  switch (method) {
    case 'none':
      if (!options.allowPublic) throw invalidClient('this endpoint requires client authentication')
      return client
    case 'client_secret_basic':
    case 'client_secret_post': {
      let given = secret ?? ''
      if (method === 'client_secret_basic') {
        try {
          given = formDecode(basic!.password)
        } catch {
          throw invalidClient('malformed Basic credentials')
        }
      }
      if (!client.client_secret || !(await safeEqual(given, client.client_secret))) {
        throw invalidClient('wrong client secret')
      }
      return client
    }
    case 'tls_client_auth':
    case 'self_signed_tls_client_auth':
      await authenticateTlsClient(c, client)
      return client
    default:
      await verifyClientAssertion(state, c, client, assertion!)
      return client
  }
}

async function verifyClientAssertion(
  state: ServerState,
  c: AppContext,
  client: ClientConfig,
  assertion: string,
): Promise<void> {
  const endpointUrl = `${state.issuer}${new URL(c.req.url).pathname}`
  const audience = [state.issuer, `${state.issuer}/token`, endpointUrl]
  const verifyOptions = {
    issuer: client.client_id,
    subject: client.client_id,
    audience,
    requiredClaims: ['exp', 'jti'],
    currentDate: new Date(state.now() * 1000),
    clockTolerance: 5,
  }
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload']
  try {
    if (client.token_endpoint_auth_method === 'client_secret_jwt') {
      if (!client.client_secret) throw invalidClient('client has no secret')
      const key = new TextEncoder().encode(client.client_secret)
      ;({ payload } = await jwtVerify(assertion, key, {
        ...verifyOptions,
        algorithms: ['HS256', 'HS384', 'HS512'],
      }))
    } else {
      if (!client.jwks) throw invalidClient('client has no registered keys')
      ;({ payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks), {
        ...verifyOptions,
        algorithms: ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'],
      }))
    }
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) {
      throw invalidClient(`client_assertion rejected: ${err.code}`)
    }
    throw err
  }
  const exp = payload.exp!
  if (exp - state.now() > 3600) throw invalidClient('client_assertion lives too long')
  if (!rememberJti(state, `client-assertion ${client.client_id} ${payload.jti}`, exp)) {
    throw invalidClient('client_assertion jti was already used')
  }
}
