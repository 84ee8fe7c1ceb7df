/**
 * Provider metadata as openrp takes and gives it: RFC 8414 / OpenID Connect Discovery 1.0 names,
 * openrp's own type (not the protocol engine's), so an engine major release is no openrp one.
 *
 * @module
 */

/** A JSON value, as metadata members may hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject

/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue
  [key: number]: never
  [key: symbol]: never
}

/** RFC 8705 §5: endpoint name to the URL to use with mutual TLS client authentication. */
export interface MtlsEndpointAliases {
  readonly [endpoint: string]: string
  readonly [key: number]: never
  readonly [key: symbol]: never
}

/**
 * Provider metadata (RFC 8414 §2, OpenID Connect Discovery 1.0 §3, and the registered
 * extensions openrp uses). Members openrp does not know are kept as they are.
 *
 * @example
 * ```ts
 * const metadata: ServerMetadata = {
 *   issuer: 'https://login.example.com',
 *   authorization_endpoint: 'https://login.example.com/authorize',
 *   token_endpoint: 'https://login.example.com/token',
 *   jwks_uri: 'https://login.example.com/jwks',
 * }
 * const client = new Client(metadata, { clientId: 'spa', redirectUri })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
 */
export interface ServerMetadata {
  readonly issuer: string
  readonly authorization_endpoint?: string
  readonly token_endpoint?: string
  readonly jwks_uri?: string
  readonly registration_endpoint?: string
  readonly userinfo_endpoint?: string
  readonly revocation_endpoint?: string
  readonly introspection_endpoint?: string
  readonly device_authorization_endpoint?: string
  readonly pushed_authorization_request_endpoint?: string
  readonly end_session_endpoint?: string
  readonly check_session_iframe?: string
  readonly backchannel_authentication_endpoint?: string
  readonly scopes_supported?: string[]
  readonly response_types_supported?: string[]
  readonly response_modes_supported?: string[]
  readonly grant_types_supported?: string[]
  readonly token_endpoint_auth_methods_supported?: string[]
  readonly token_endpoint_auth_signing_alg_values_supported?: string[]
  readonly code_challenge_methods_supported?: string[]
  readonly id_token_signing_alg_values_supported?: string[]
  readonly userinfo_signing_alg_values_supported?: string[]
  readonly request_object_signing_alg_values_supported?: string[]
  readonly introspection_signing_alg_values_supported?: string[]
  readonly authorization_signing_alg_values_supported?: string[]
  readonly dpop_signing_alg_values_supported?: string[]
  readonly claims_supported?: string[]
  readonly acr_values_supported?: string[]
  readonly subject_types_supported?: string[]
  readonly ui_locales_supported?: string[]
  readonly claims_parameter_supported?: boolean
  readonly request_parameter_supported?: boolean
  readonly request_uri_parameter_supported?: boolean
  readonly require_signed_request_object?: boolean
  readonly require_pushed_authorization_requests?: boolean
  readonly authorization_response_iss_parameter_supported?: boolean
  readonly tls_client_certificate_bound_access_tokens?: boolean
  readonly frontchannel_logout_supported?: boolean
  readonly backchannel_logout_supported?: boolean
  readonly backchannel_logout_session_supported?: boolean
  /** RFC 8705 §5: endpoints to use with mutual TLS client authentication. */
  readonly mtls_endpoint_aliases?: MtlsEndpointAliases
  readonly [member: string]: JsonValue | undefined
}
