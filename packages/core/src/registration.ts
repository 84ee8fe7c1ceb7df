/**
 * Dynamic client registration (RFC 7591, OpenID Connect Dynamic Client Registration 1.0) and
 * its management protocol (RFC 7592: read, update, delete).
 *
 * Registration goes through oauth4webapi (`dynamicClientRegistrationRequest` /
 * `processDynamicClientRegistrationResponse`); RFC 7592, which oauth4webapi does not speak, is
 * three small requests to `registration_client_uri` with the registration access token as a
 * Bearer token (`protectedResourceRequest`, so a `WWW-Authenticate` challenge becomes an
 * OAuthError such as `invalid_token`). Client secrets and registration access tokens never
 * appear in error messages, and are `[redacted]` in the response bodies kept as error causes.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ServerMetadata } from './client-core.ts'
import { type DiscoveryOptions, discoverMetadata } from './discover.ts'
import { HttpError, InvalidArgumentError, OpenRpError, ValidationError } from './errors.ts'
import { type ErrorContext, oauthError, redactSecrets } from './internal/map-error.ts'
import { type HttpOptions, operation } from './internal/operation.ts'
import { type ClientAuthMethod, type ClientOptions, resolveOptions } from './options.ts'
import type { Jwk } from './key-types.ts'

/**
 * Client metadata (RFC 7591 §2, OpenID Connect Dynamic Client Registration 1.0 §2), with the
 * spec's names. Members a provider defines beyond these pass through as they are.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2
 * @see https://openid.net/specs/openid-connect-registration-1_0.html#ClientMetadata
 */
export interface ClientMetadata {
  redirect_uris?: string[]
  /** `none`, `client_secret_basic` (the default), `client_secret_post`, `private_key_jwt`... */
  token_endpoint_auth_method?: string
  /** Default `['authorization_code']`. */
  grant_types?: string[]
  /** Default `['code']`. */
  response_types?: string[]
  client_name?: string
  client_uri?: string
  logo_uri?: string
  /** Space-separated scopes the client may ask for. */
  scope?: string
  contacts?: string[]
  tos_uri?: string
  policy_uri?: string
  jwks_uri?: string
  /** Public keys (for `private_key_jwt` and signed request objects); not with `jwks_uri`. */
  jwks?: { keys: Jwk[] }
  software_id?: string
  software_version?: string
  /** A signed JWT whose claims are metadata vouched for by its issuer (RFC 7591 §2.3). */
  software_statement?: string
  /** `web` (default) or `native` (OpenID Connect Registration §2). */
  application_type?: 'web' | 'native'
  post_logout_redirect_uris?: string[]
  id_token_signed_response_alg?: string
  /** Userinfo answers signed with this alg (OpenID Connect Registration §2). */
  userinfo_signed_response_alg?: string
  backchannel_logout_uri?: string
  [name: string]: unknown
}

/**
 * A registered client as the provider answered it (RFC 7591 §3.2.1, RFC 7592 §3): the issued
 * credentials plus the metadata the provider accepted (which may differ from what was asked).
 * Keep it (it holds secrets) to manage the registration later, and turn it into client options
 * with {@link toClientOptions}.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1
 * @see https://www.rfc-editor.org/rfc/rfc7592#section-3
 */
export interface RegisteredClient extends ClientMetadata {
  client_id: string
  client_secret?: string
  /** Seconds since the epoch when `client_secret` expires; 0 when it does not. */
  client_secret_expires_at?: number
  /** Seconds since the epoch when `client_id` was issued. */
  client_id_issued_at?: number
  /** The Bearer token of the RFC 7592 calls (a secret). */
  registration_access_token?: string
  /** Where the RFC 7592 calls go. */
  registration_client_uri?: string
}

/** What the RFC 7592 calls need of a registration: its URI and access token. */
export type ClientRegistrationHandle = Pick<
  RegisteredClient,
  'client_id' | 'registration_client_uri' | 'registration_access_token'
>

/** Transport options of the RFC 7592 calls (those of {@link discoverMetadata}). */
export type ClientRegistrationOptions = DiscoveryOptions

/** Options of {@link registerClient}. */
export interface RegisterClientOptions extends ClientRegistrationOptions {
  /**
   * The initial access token some providers require at the registration endpoint (RFC 7591
   * §3), sent as a Bearer token.
   */
  initialAccessToken?: string
}

/** The client options a registration gives: spread them into {@link ClientOptions}. */
export type RegisteredClientOptions = Pick<
  ClientOptions,
  | 'clientId'
  | 'clientSecret'
  | 'clientAuth'
  | 'redirectUri'
  | 'postLogoutRedirectUri'
  | 'userinfoSignedResponseAlg'
>

const CONTEXT: ErrorContext = 'registration'

/** Members a client may not send in an RFC 7592 update (§2.2). */
const SERVER_ONLY_MEMBERS = [
  'registration_access_token',
  'registration_client_uri',
  'client_secret_expires_at',
  'client_id_issued_at',
] as const

function resolveTransport(options: ClientRegistrationOptions) {
  const { signal, ...transport } = options
  return { signal, resolved: resolveOptions({ clientId: 'registration', ...transport }) }
}

/**
 * Registers a client at the provider's `registration_endpoint` (RFC 7591 §3.1). `issuer` is
 * discovered first (with the same transport options); pass metadata to skip that. The request is
 * not retried (a retry could register a second client).
 *
 * Errors: `UNSUPPORTED` when the provider has no `registration_endpoint`; an OAuthError with the
 * provider's `error` for a refusal (`invalid_redirect_uri`, `invalid_client_metadata`,
 * `invalid_software_statement`, `unapproved_software_statement`, RFC 7591 §3.2.2; `invalid_token`
 * with `status` 401 for a missing or wrong initial access token); `INVALID_RESPONSE` when the
 * answer is not a registration (not JSON, no `client_id`); `HTTP_ERROR` for another status.
 *
 * @example
 * ```ts
 * const registered = await registerClient('https://login.example.com', {
 *   client_name: 'My app',
 *   redirect_uris: ['https://app.example.com/callback'],
 *   token_endpoint_auth_method: 'none',
 * })
 * // keep `registered` (it holds the registration access token), then:
 * const client = await discover('https://login.example.com', toClientOptions(registered))
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3
 * @see https://openid.net/specs/openid-connect-registration-1_0.html#ClientRegistration
 */
export async function registerClient(
  issuerOrMetadata: string | URL | ServerMetadata,
  metadata: ClientMetadata,
  options: RegisterClientOptions = {},
): Promise<RegisteredClient> {
  assertMetadata(metadata, 'registerClient()')
  const { initialAccessToken, ...transportOptions } = options
  if (
    initialAccessToken !== undefined &&
    (typeof initialAccessToken !== 'string' || initialAccessToken === '')
  )
    throw new InvalidArgumentError('initialAccessToken must be a non-empty string')
  const { signal, resolved } = resolveTransport(transportOptions)
  const server =
    typeof issuerOrMetadata === 'string' || issuerOrMetadata instanceof URL
      ? await discoverMetadata(issuerOrMetadata, transportOptions)
      : issuerOrMetadata
  if (typeof server !== 'object' || server === null || typeof server.issuer !== 'string')
    throw new InvalidArgumentError('registerClient() needs an issuer or the provider metadata')
  if (typeof server.registration_endpoint !== 'string')
    throw new OpenRpError('UNSUPPORTED', 'The provider has no registration_endpoint')
  return operation(
    { options: resolved },
    { signal, retry: false, context: CONTEXT },
    async (http) => {
      const response = await oauth.dynamicClientRegistrationRequest(
        server,
        metadata as Parameters<typeof oauth.dynamicClientRegistrationRequest>[1],
        { ...http, ...(initialAccessToken !== undefined && { initialAccessToken }) },
      )
      // A refusal's body (with the secret of an odd answer) is redacted by the error mapping.
      return (await oauth.processDynamicClientRegistrationResponse(response)) as RegisteredClient
    },
  )
}

/**
 * Reads the current registration (RFC 7592 §2.1): `GET registration_client_uri` with the
 * registration access token. Retried on 5xx / 429 / network errors.
 *
 * A wrong or revoked registration access token, or a deleted client, is an OAuthError with
 * `status` 401 (`invalid_token`).
 *
 * @example
 * ```ts
 * const current = await readClientRegistration(registered)
 * current.redirect_uris // what the provider holds now
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7592#section-2.1
 */
export async function readClientRegistration(
  registration: ClientRegistrationHandle,
  options: ClientRegistrationOptions = {},
): Promise<RegisteredClient> {
  return manage(registration, options, 'readClientRegistration()', 'GET', null, async (response) =>
    withHandle(await registrationBody(response, 200), registration),
  )
}

/**
 * Replaces the client's metadata (RFC 7592 §2.2): `PUT registration_client_uri` with every
 * member the client should have (omitted ones are dropped by the provider, not kept).
 * `client_id` is added; the members only the provider sets (`registration_access_token`,
 * `registration_client_uri`, `client_secret_expires_at`, `client_id_issued_at`) are left out, so
 * a {@link RegisteredClient} can be passed back with changes. Retried like a read (PUT is
 * idempotent).
 *
 * The answer is the registration as the provider now holds it; when it carries no new
 * `registration_access_token` / `registration_client_uri`, the ones used stay in the result.
 * Refusals are OAuthErrors as for {@link registerClient}.
 *
 * @example
 * ```ts
 * const updated = await updateClientRegistration(registered, {
 *   ...registered,
 *   redirect_uris: ['https://app.example.com/new-callback'],
 * })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7592#section-2.2
 */
export async function updateClientRegistration(
  registration: ClientRegistrationHandle,
  metadata: ClientMetadata,
  options: ClientRegistrationOptions = {},
): Promise<RegisteredClient> {
  managementTarget(registration, 'updateClientRegistration()')
  assertMetadata(metadata, 'updateClientRegistration()')
  if (typeof registration.client_id !== 'string' || registration.client_id === '')
    throw new InvalidArgumentError('updateClientRegistration() needs the registration client_id')
  const body: Record<string, unknown> = { ...metadata, client_id: registration.client_id }
  for (const key of SERVER_ONLY_MEMBERS) delete body[key]
  const json = JSON.stringify(body)
  return manage(
    registration,
    options,
    'updateClientRegistration()',
    'PUT',
    json,
    async (response) => withHandle(await registrationBody(response, 200), registration),
  )
}

/**
 * Deletes the registration (RFC 7592 §2.3): `DELETE registration_client_uri`. The provider
 * answers 204; from then on the client is unknown (its token requests get `invalid_client`) and
 * the registration access token is invalid. Retried like a read.
 *
 * @example
 * ```ts
 * await deleteClientRegistration(registered)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7592#section-2.3
 */
export async function deleteClientRegistration(
  registration: ClientRegistrationHandle,
  options: ClientRegistrationOptions = {},
): Promise<void> {
  return manage(
    registration,
    options,
    'deleteClientRegistration()',
    'DELETE',
    null,
    async (response) => {
      if (response.status !== 204) throw await refusal(response)
      await response.body?.cancel().catch(() => {})
    },
  )
}

/**
 * The options a registration gives a {@link Client}: `clientId`, `clientSecret`, `clientAuth`
 * (from `token_endpoint_auth_method`), the first of `redirect_uris` and
 * `post_logout_redirect_uris` as `redirectUri` / `postLogoutRedirectUri`, and
 * `userinfo_signed_response_alg` as `userinfoSignedResponseAlg` (a plain JSON userinfo answer is
 * then refused). Spread it and add
 * what a registration cannot give (a `privateKey` for `private_key_jwt`, another redirect URI).
 *
 * @example
 * ```ts
 * const client = new Client(metadata, { ...toClientOptions(registered), privateKey })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1
 */
export function toClientOptions(registered: RegisteredClient): RegisteredClientOptions {
  if (typeof registered !== 'object' || registered === null)
    throw new InvalidArgumentError('toClientOptions() needs a registered client')
  const { client_id, client_secret, token_endpoint_auth_method } = registered
  if (typeof client_id !== 'string' || client_id === '')
    throw new InvalidArgumentError('toClientOptions() needs a client_id')
  const redirectUri = firstString(registered.redirect_uris)
  const postLogoutRedirectUri = firstString(registered.post_logout_redirect_uris)
  return {
    clientId: client_id,
    ...(typeof client_secret === 'string' && { clientSecret: client_secret }),
    ...(typeof token_endpoint_auth_method === 'string' && {
      clientAuth: token_endpoint_auth_method as ClientAuthMethod,
    }),
    ...(redirectUri !== undefined && { redirectUri }),
    ...(postLogoutRedirectUri !== undefined && { postLogoutRedirectUri }),
    ...(typeof registered.userinfo_signed_response_alg === 'string' && {
      userinfoSignedResponseAlg: registered.userinfo_signed_response_alg,
    }),
  }
}

function firstString(value: unknown): string | undefined {
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined
}

function assertMetadata(metadata: unknown, what: string): void {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    throw new InvalidArgumentError(`${what} needs client metadata (an object)`)
}

/** The URI and token of the RFC 7592 calls, or INVALID_ARGUMENT. */
function managementTarget(
  registration: ClientRegistrationHandle,
  what: string,
): { url: URL; token: string } {
  if (typeof registration !== 'object' || registration === null)
    throw new InvalidArgumentError(`${what} needs a registration`)
  const { registration_client_uri: uri, registration_access_token: token } = registration
  if (typeof token !== 'string' || token === '')
    throw new InvalidArgumentError(`${what} needs the registration_access_token`)
  let url: URL
  try {
    url = new URL(uri as string)
  } catch {
    throw new InvalidArgumentError(`${what} needs an absolute registration_client_uri`)
  }
  return { url, token }
}

/** One RFC 7592 request; a `WWW-Authenticate` challenge (e.g. 401) throws. */
function send(
  http: HttpOptions,
  token: string,
  method: 'GET' | 'PUT' | 'DELETE',
  url: URL,
  body: string | null,
): Promise<Response> {
  const headers = new Headers({ accept: 'application/json' })
  if (body !== null) headers.set('content-type', 'application/json')
  return oauth.protectedResourceRequest(token, method, url, headers, body, http)
}

/**
 * One RFC 7592 call: `method` on the registration's `registration_client_uri` with its access
 * token, under a deadline, retried on 5xx / 429 / network errors (GET, PUT and DELETE are
 * idempotent), the answer handed to `read`.
 */
function manage<T>(
  registration: ClientRegistrationHandle,
  options: ClientRegistrationOptions,
  what: string,
  method: 'GET' | 'PUT' | 'DELETE',
  body: string | null,
  read: (response: Response) => Promise<T>,
): Promise<T> {
  const { url, token } = managementTarget(registration, what)
  const { signal, resolved } = resolveTransport(options)
  return operation({ options: resolved }, { signal, retry: true, context: CONTEXT }, async (http) =>
    read(await send(http, token, method, url, body)),
  )
}

/** The registration in a response of status `expected`, else the provider's refusal. */
async function registrationBody(response: Response, expected: number): Promise<RegisteredClient> {
  if (response.status !== expected) throw await refusal(response)
  let body: unknown
  try {
    body = await response.json()
  } catch (error) {
    throw new ValidationError('INVALID_RESPONSE', 'The registration response is not JSON', {
      cause: error,
    })
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ValidationError('INVALID_RESPONSE', 'The registration response is not a JSON object')
  const registered = body as Record<string, unknown>
  const invalid = (member: string) =>
    new ValidationError('INVALID_RESPONSE', `The registration response has no valid ${member}`, {
      cause: { body: redactSecrets(registered) },
    })
  if (typeof registered.client_id !== 'string' || registered.client_id === '')
    throw invalid('client_id')
  if (registered.client_secret !== undefined && typeof registered.client_secret !== 'string')
    throw invalid('client_secret')
  // RFC 7591 §3.2.1: REQUIRED with a secret (registerClient's answer is checked the same way).
  const expiresAt = registered.client_secret_expires_at
  if (registered.client_secret && !(typeof expiresAt === 'number' && expiresAt >= 0))
    throw invalid('client_secret_expires_at')
  return registered as RegisteredClient
}

/** The RFC 7591 §3.2.2 error in the body of a refused request, else HTTP_ERROR. */
async function refusal(response: Response): Promise<OpenRpError> {
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { error?: unknown; error_description?: unknown } | undefined
  if (typeof body?.error === 'string')
    return oauthError({
      error: body.error,
      errorDescription:
        typeof body.error_description === 'string' ? body.error_description : undefined,
      status: response.status,
    })
  return new HttpError(response.status)
}

/** `registered`, keeping the handle's URI and token when the answer carries none. */
function withHandle(
  registered: RegisteredClient,
  handle: ClientRegistrationHandle,
): RegisteredClient {
  return {
    ...registered,
    registration_client_uri:
      registered.registration_client_uri ?? (handle.registration_client_uri as string),
    registration_access_token:
      registered.registration_access_token ?? (handle.registration_access_token as string),
  }
}
