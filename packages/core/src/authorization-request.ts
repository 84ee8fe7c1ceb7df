/**
 * Authorization requests (OpenID Connect Core §3.1.2.1): URL plus a plain-JSON transaction.
 * PKCE S256 for every response type with a code, a nonce for every OpenID request, PAR when
 * asked for or required by the provider, a signed request object (JAR) when the core has a
 * signer.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import { frontChannelHandler } from './authorization-response.ts'
import type { ClientCore } from './client-core.ts'
import { withDpopNonceRetry } from './dpop.ts'
import { InvalidArgumentError, ValidationError } from './errors.ts'
import { extraParamsOf } from './internal/extra-params.ts'
import { operation } from './internal/operation.ts'
import {
  type AuthTransaction,
  RESPONSE_TYPES,
  type ResponseMode,
  type ResponseType,
} from './transaction.ts'

/** Options of `client.createAuthorizationRequest()`. */
export interface AuthorizationRequestOptions {
  /** Default `code`. Hybrid and implicit types exist for legacy providers. */
  responseType?: ResponseType
  /** Default: `query` for `code`, `fragment` otherwise. */
  responseMode?: ResponseMode
  /** Default: the client's `scope` option. */
  scope?: string
  /** Default: the client's `redirectUri` option. */
  redirectUri?: string
  /** e.g. `login` (force re-authentication), `consent`, `none` (silent). */
  prompt?: string
  /** Seconds; the ID token's `auth_time` is then checked against it. */
  maxAge?: number
  loginHint?: string
  acrValues?: string
  uiLocales?: string
  /**
   * Further parameters (e.g. `claims_locales`, `id_token_hint`). Refused with
   * `INVALID_ARGUMENT`: the protocol parameters openrp sets (`state`, `nonce`, PKCE...) and those
   * with an option of their own (`scope`, `response_mode`, `max_age`, `prompt`, `login_hint`,
   * `acr_values`, `ui_locales`), which the transaction must record to check the response.
   */
  extraParams?: Record<string, string>
  /** Push the request (RFC 9126) even if the client option `par` is off. */
  par?: boolean
  signal?: AbortSignal
}

/** What `client.createAuthorizationRequest()` returns: the URL to send the user to and the transaction to keep until the callback. */
export interface AuthorizationRequest {
  /** Where to send the user agent. */
  url: URL
  /** Keep until the callback; plain JSON. */
  transaction: AuthTransaction
}

/** Parameters openrp sets itself: never from extraParams. */
const RESERVED = [
  'client_id',
  'response_type',
  'redirect_uri',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'request_uri',
  'request',
  'dpop_jkt',
]

/**
 * Parameters with an option of their own: through extraParams they would escape the transaction
 * (`max_age` unchecked against `auth_time`, `response_mode` unrecorded) or be overwritten.
 */
const OPTION_PARAMS: Record<string, keyof AuthorizationRequestOptions> = {
  scope: 'scope',
  response_mode: 'responseMode',
  max_age: 'maxAge',
  prompt: 'prompt',
  login_hint: 'loginHint',
  acr_values: 'acrValues',
  ui_locales: 'uiLocales',
}

/**
 * Builds an authorization request. A core with a request-object signer (`requestObject: true`)
 * sends the parameters as one signed request object: the URL (or the pushed request) carries
 * only `client_id` and `request` (RFC 9101 §5, RFC 9126 §3). The transaction is the same either
 * way, and so is the response's validation. Throws `REQUEST_OBJECT_REQUIRED` when the provider
 * sets `require_signed_request_object` and the core has no signer (nothing unsigned is sent),
 * and `REQUEST_OBJECT_ALG_NOT_SUPPORTED` when the key's alg is not in its
 * `request_object_signing_alg_values_supported`.
 *
 * @example
 * ```ts
 * const { url, transaction } = await createAuthorizationRequest(core, { scope: 'openid profile' })
 * await store.set(`tx:${transaction.state}`, transaction)
 * location.assign(url)
 * ```
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 * @see https://www.rfc-editor.org/rfc/rfc7636 (PKCE)
 * @see https://www.rfc-editor.org/rfc/rfc9126 (PAR)
 * @see https://www.rfc-editor.org/rfc/rfc9101 (JAR)
 */
export async function createAuthorizationRequest(
  core: ClientCore,
  options: AuthorizationRequestOptions = {},
): Promise<AuthorizationRequest> {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options must be an object')
  const responseType = options.responseType ?? 'code'
  if (!RESPONSE_TYPES.includes(responseType))
    throw new InvalidArgumentError(`responseType must be one of: ${RESPONSE_TYPES.join(', ')}`)
  // Refused before the redirect, not after the user logged in.
  if (responseType.includes('id_token')) frontChannelHandler(core)
  const redirectUri = options.redirectUri ?? core.options.redirectUri
  if (typeof redirectUri !== 'string') throw new InvalidArgumentError('a redirectUri is required')
  const scope = options.scope ?? core.options.scope
  if (typeof scope !== 'string') throw new InvalidArgumentError('scope must be a string')
  if (options.maxAge !== undefined && !(Number.isInteger(options.maxAge) && options.maxAge >= 0))
    throw new InvalidArgumentError('maxAge must be a non-negative integer')
  const endpoint = core.metadata.authorization_endpoint
  if (typeof endpoint !== 'string')
    throw new ValidationError('METADATA_INVALID', 'The provider has no authorization_endpoint')
  const sign = core.requestObject
  if (!sign && core.metadata.require_signed_request_object === true)
    throw new ValidationError(
      'REQUEST_OBJECT_REQUIRED',
      'The provider requires signed request objects (requestObject option)',
    )

  const openid = scope.split(' ').includes('openid') || responseType.includes('id_token')
  const transaction: AuthTransaction = {
    state: oauth.generateRandomState(),
    responseType,
    redirectUri,
    createdAt: Math.floor(Date.now() / 1000),
    issuer: core.metadata.issuer,
    scope,
    idTokenRequired: openid,
  }
  const params = extraParamsOf(options.extraParams, RESERVED, OPTION_PARAMS)
  params.set('client_id', core.options.clientId)
  params.set('response_type', responseType)
  params.set('redirect_uri', redirectUri)
  params.set('scope', scope)
  params.set('state', transaction.state)
  if (openid) {
    transaction.nonce = oauth.generateRandomNonce()
    params.set('nonce', transaction.nonce)
  }
  if (responseType.includes('code')) {
    transaction.codeVerifier = oauth.generateRandomCodeVerifier()
    params.set('code_challenge', await oauth.calculatePKCECodeChallenge(transaction.codeVerifier))
    params.set('code_challenge_method', 'S256')
  }
  if (options.responseMode !== undefined) {
    if (!['query', 'fragment', 'form_post'].includes(options.responseMode))
      throw new InvalidArgumentError('responseMode must be query, fragment or form_post')
    if (options.responseMode === 'query' && responseType !== 'code')
      throw new InvalidArgumentError('responseMode query cannot carry tokens (RFC 6749 §4.2.2)')
    transaction.responseMode = options.responseMode
    params.set('response_mode', options.responseMode)
  }
  if (options.maxAge !== undefined) {
    transaction.maxAge = options.maxAge
    params.set('max_age', String(options.maxAge))
  }
  setIf(params, 'prompt', options.prompt)
  setIf(params, 'login_hint', options.loginHint)
  setIf(params, 'acr_values', options.acrValues)
  setIf(params, 'ui_locales', options.uiLocales)
  const dpop = await core.dpop()
  if (dpop && responseType.includes('code'))
    params.set('dpop_jkt', await dpop.calculateThumbprint())

  const request = sign ? await sign(core, params) : params
  const url = new URL(endpoint)
  const usePar =
    options.par === true ||
    core.options.par ||
    core.metadata.require_pushed_authorization_requests === true
  if (usePar) {
    const requestUri = await pushAuthorizationRequest(core, request, options.signal)
    url.searchParams.set('client_id', core.options.clientId)
    url.searchParams.set('request_uri', requestUri)
  } else {
    for (const [key, value] of request) url.searchParams.append(key, value)
  }
  return { url, transaction }
}

function setIf(params: URLSearchParams, name: string, value: unknown): void {
  if (value === undefined) return
  if (typeof value !== 'string') throw new InvalidArgumentError(`${name} must be a string`)
  params.set(name, value)
}

async function pushAuthorizationRequest(
  core: ClientCore,
  params: URLSearchParams,
  signal: AbortSignal | undefined,
): Promise<string> {
  return operation(core, { signal, retry: false, context: 'par' }, async (http) => {
    const dpop = await core.dpop()
    // One retry on use_dpop_nonce, a second demand DPOP_NONCE_LOOP, as for every DPoP request.
    const result = await withDpopNonceRetry(core, async () => {
      const response = await oauth.pushedAuthorizationRequest(
        core.metadata,
        core.client,
        core.clientAuth,
        params,
        {
          ...http,
          ...(dpop && { DPoP: dpop }),
        },
      )
      return oauth.processPushedAuthorizationResponse(core.metadata, core.client, response)
    })
    return result.request_uri
  })
}
