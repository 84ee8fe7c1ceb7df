/** OpenID Connect Discovery 1.0 and RFC 8414 metadata: everything the server supports. */
import type { Hono } from 'hono'
import { RESPONSE_MODES, RESPONSE_TYPES } from '../authorization-request.ts'
import { DPOP_ALGS } from '../dpop.ts'
import { mtlsEndpointAliases } from '../mtls.ts'
import type { AppEnv } from '../http.ts'
import { splitList } from '../http.ts'
import { REQUEST_OBJECT_ALGS } from '../request-object.ts'
import { ACR_VALUES } from '../session.ts'
import type { ServerState } from '../state.ts'

/** Grant types of the token endpoint (built in; vendor grants are added). */
export const GRANT_TYPES = [
  'authorization_code',
  'implicit',
  'refresh_token',
  'client_credentials',
  'password',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:saml2-bearer',
]

const AUTH_METHODS = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
]

/** The metadata document for this server's state. */
export function metadata(state: ServerState): Record<string, unknown> {
  const i = state.issuer
  const scopes = new Set(['openid', 'profile', 'email', 'offline_access'])
  for (const client of state.clients.values())
    for (const s of splitList(client.scope)) scopes.add(s)
  const grants = [...GRANT_TYPES, ...Object.keys(state.vendorGrants)]
  return {
    issuer: state.faults.current.discoveryIssuer ?? i,
    authorization_endpoint: `${i}/authorize`,
    token_endpoint: `${i}/token`,
    userinfo_endpoint: `${i}/userinfo`,
    jwks_uri: `${i}/jwks`,
    pushed_authorization_request_endpoint: `${i}/par`,
    require_pushed_authorization_requests: false,
    device_authorization_endpoint: `${i}/device_authorization`,
    introspection_endpoint: `${i}/introspect`,
    revocation_endpoint: `${i}/revoke`,
    end_session_endpoint: `${i}/end_session`,
    ...(state.options.registration !== false && { registration_endpoint: `${i}/register` }),
    scopes_supported: [...scopes],
    response_types_supported: RESPONSE_TYPES,
    response_modes_supported: RESPONSE_MODES,
    grant_types_supported: [...new Set(grants)],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256', 'ES256'],
    userinfo_signing_alg_values_supported: ['RS256', 'ES256'],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ['HS256', 'ES256', 'RS256', 'PS256', 'EdDSA'],
    introspection_endpoint_auth_methods_supported: AUTH_METHODS.slice(1),
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    code_challenge_methods_supported: ['S256'],
    dpop_signing_alg_values_supported: DPOP_ALGS,
    authorization_response_iss_parameter_supported: true,
    // RFC 8705 §5 and §3.3: the mutual-TLS listener and certificate-bound access tokens.
    ...(state.mtlsUrl && {
      mtls_endpoint_aliases: mtlsEndpointAliases(state.mtlsUrl),
      tls_client_certificate_bound_access_tokens: true,
    }),
    acr_values_supported: ACR_VALUES,
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'acr',
      'azp',
      'at_hash',
      'c_hash',
      'sid',
      'name',
      'given_name',
      'family_name',
      'preferred_username',
      'email',
      'email_verified',
      'locale',
    ],
    claims_parameter_supported: false,
    request_parameter_supported: true,
    request_object_signing_alg_values_supported: REQUEST_OBJECT_ALGS,
    ...(state.options.requireSignedRequestObject && { require_signed_request_object: true }),
    // request_uri only as this server's own PAR URNs, not by reference to a client's URL.
    request_uri_parameter_supported: false,
    frontchannel_logout_supported: false,
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
  }
}

export function registerDiscovery(app: Hono<AppEnv>, state: ServerState): void {
  for (const path of [
    '/.well-known/openid-configuration',
    '/.well-known/oauth-authorization-server',
  ]) {
    app.get(path, (c) => {
      c.header('Cache-Control', 'no-cache')
      return c.json(metadata(state))
    })
  }
}
