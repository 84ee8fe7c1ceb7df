/**
 * Authorization responses of every response type (code, hybrid, implicit) in query, fragment
 * or form_post form: state, RFC 9207 `iss`, error responses, front-channel ID tokens, then the
 * code exchange.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore, FrontChannelHandler } from './client-core.ts'
import { InvalidArgumentError, OpenRpError, ValidationError } from './errors.ts'
import { oauthError } from './internal/map-error.ts'
import { operation } from './internal/operation.ts'
import { isJsonObject } from './internal/json-object.ts'
import { isWebObject } from './internal/web-object.ts'
import { exchangeAuthorizationCode } from './grants/authorization-code.ts'
import type { IdTokenClaims, TokenSet } from './token-set.ts'
import {
  type AuthTransaction,
  assertTransaction,
  defaultResponseMode,
  type ResponseMode,
} from './transaction.ts'

/**
 * What a callback handler has: the full callback URL (query or fragment), the raw query /
 * fragment / form_post body string, or its parameters.
 */
export type AuthorizationResponseInput =
  | string
  | URL
  | URLSearchParams
  | Record<string, string>
  /** A server's incoming callback request: GET (query) or form_post (POST body). */
  | Request

/** Options of `client.handleAuthorizationResponse()`. */
export interface HandleAuthorizationResponseOptions {
  signal?: AbortSignal | undefined
  /**
   * The code exchange's deadline instead of the client's `timeoutMs`. The provider spends the
   * code when the request arrives, so an answer that comes late holds the only tokens this login
   * will give: SpaClient gives the exchange far longer than its caller waits, and keeps a late
   * answer. A NaN, negative or non-number one is INVALID_ARGUMENT, before the request.
   */
  timeoutMs?: number | undefined
}

/**
 * Extracts the response parameters. Throws `AUTHORIZATION_RESPONSE_INVALID` for repeated or
 * absent parameters and `INVALID_ARGUMENT` for input of the wrong type; never a TypeError.
 */
export function parseAuthorizationResponse(
  input: unknown,
  mode: ResponseMode = 'query',
): URLSearchParams {
  let params: URLSearchParams
  // A full URL string (scheme first) is read as a URL, anything else as the parameters.
  if (typeof input === 'string' && URL.canParse(input) && /^[a-z][a-z0-9+.-]*:/i.test(input))
    input = new URL(input)
  if (input instanceof URL) {
    params = new URLSearchParams(mode === 'fragment' ? input.hash.slice(1) : input.search)
  } else if (typeof input === 'string') {
    params = new URLSearchParams(input.replace(/^[?#]/, ''))
  } else if (input instanceof URLSearchParams) {
    params = new URLSearchParams(input)
  } else if (isJsonObject(input)) {
    params = new URLSearchParams()
    for (const [key, value] of Object.entries(input)) {
      if (typeof value !== 'string') throw invalid(`parameter "${key}" is not a string`)
      params.append(key, value)
    }
  } else {
    throw new InvalidArgumentError(
      'Expected a callback URL, a parameter string, URLSearchParams or an object',
    )
  }
  const seen = new Set<string>()
  for (const key of params.keys()) {
    if (seen.has(key)) throw invalid(`parameter "${key}" is repeated`)
    seen.add(key)
  }
  if (seen.size === 0) throw invalid('has no parameters (wrong response mode?)')
  return params
}

/**
 * Checks an authorization response against its transaction and returns the tokens.
 *
 * Order of checks: transaction issuer, state (`STATE_MISSING` / `STATE_MISMATCH`), RFC 9207
 * `iss` (`ISS_MISMATCH` when it names another issuer; `ISS_MISSING` when the provider
 * advertises it and the response carries no ID token, whose verified `iss` identifies the
 * issuer otherwise), error responses
 * (OAuthError; `InteractionRequiredError` for login/consent/interaction_required), then the
 * front-channel ID token and the code exchange.
 *
 * Delete the transaction from your store before calling this: state is single use.
 *
 * @example
 * ```ts
 * const tokens = await handleAuthorizationResponse(core, location.href, transaction)
 * ```
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
 * @see https://www.rfc-editor.org/rfc/rfc9207
 */
export async function handleAuthorizationResponse(
  core: ClientCore,
  input: AuthorizationResponseInput,
  transaction: AuthTransaction,
  options: HandleAuthorizationResponseOptions = {},
): Promise<TokenSet> {
  assertTransaction(transaction)
  if (transaction.issuer !== core.metadata.issuer)
    throw new ValidationError('ISS_MISMATCH', 'The transaction was started with another issuer')
  const params = parseAuthorizationResponse(
    await fromRequest(input),
    transaction.responseMode ?? defaultResponseMode(transaction.responseType),
  )
  checkFrontChannel(core, params, transaction)
  const error = params.get('error')
  if (error !== null) {
    throw oauthError({
      error,
      errorDescription: params.get('error_description') ?? undefined,
      errorUri: params.get('error_uri') ?? undefined,
    })
  }
  const type = transaction.responseType
  if (type.includes('code') && !params.get('code')) throw invalid('has no code')
  if (type.split(' ').includes('token') && !params.get('access_token'))
    throw invalid('has no access_token')
  // Types with a front-channel ID token are the opt-in's (withHybridAndImplicit).
  if (type.includes('id_token'))
    return frontChannelHandler(core)(core, params, transaction, options)
  if (params.get('id_token')) throw invalid('carries an id_token that was not asked for')
  return exchangeAuthorizationResponseCode(core, params, transaction, undefined, options)
}

/**
 * Exchanges the code of an authorization response whose state, `iss` and error were checked
 * (and whose front-channel ID token, if any, was verified: `front`, its claims). The engine's
 * own validation of the response (oauth4webapi's `validateAuthResponse`) comes first; the token
 * endpoint's ID token must then be about `front.sub`.
 *
 * @example
 * ```ts
 * // The hybrid flow, once the front-channel ID token passed validateIdToken()
 * const tokens = await exchangeAuthorizationResponseCode(core, params, transaction, claims, { signal })
 * ```
 */
export async function exchangeAuthorizationResponseCode(
  core: ClientCore,
  params: URLSearchParams,
  transaction: AuthTransaction,
  front: IdTokenClaims | undefined,
  options: HandleAuthorizationResponseOptions,
): Promise<TokenSet> {
  const callback = new URLSearchParams({ code: params.get('code') ?? '', state: transaction.state })
  const iss = params.get('iss')
  if (iss !== null) callback.set('iss', iss)
  // An ID token of this issuer (verified before) identifies the issuer as RFC 9207 §2.4
  // allows: the parameter is then optional, as in oauth4webapi's own hybrid validation.
  const metadata =
    iss === null && front !== undefined
      ? { ...core.metadata, authorization_response_iss_parameter_supported: false }
      : core.metadata
  const validated = operation(core, { retry: false, context: 'authorization' }, async () =>
    oauth.validateAuthResponse(metadata, core.client, callback, transaction.state),
  )
  return exchangeAuthorizationCode(core, await validated, transaction, {
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    subject: front?.sub,
  })
}

/**
 * The core's handler of front-channel ID tokens; `UNSUPPORTED` when it has none (a public core
 * without `withHybridAndImplicit`).
 *
 * @example
 * ```ts
 * // Refuses `code id_token` before the redirect on a core without the opt-in
 * if (responseType.includes('id_token')) frontChannelHandler(core)
 * ```
 */
export function frontChannelHandler(core: ClientCore): FrontChannelHandler {
  if (core.frontChannel) return core.frontChannel
  throw new OpenRpError(
    'UNSUPPORTED',
    'Response types with a front-channel ID token need withHybridAndImplicit(core)',
  )
}

/** Reads a callback Request: its form body for POST (form_post), its URL otherwise. */
async function fromRequest(input: unknown): Promise<unknown> {
  if (!isWebObject(input, 'Request')) return input
  if (input.method === 'POST') {
    const type = input.headers.get('content-type') ?? ''
    if (!type.startsWith('application/x-www-form-urlencoded'))
      throw invalid('is a POST that is not form-encoded')
    return new URLSearchParams(await input.text())
  }
  return new URL(input.url)
}

function checkFrontChannel(
  core: ClientCore,
  params: URLSearchParams,
  transaction: AuthTransaction,
): void {
  const state = params.get('state')
  if (state === null || state === '')
    throw new ValidationError('STATE_MISSING', 'The response has no state')
  if (state !== transaction.state)
    throw new ValidationError('STATE_MISMATCH', "The response state is not this transaction's")
  const iss = params.get('iss')
  if (iss === null) {
    // A response carrying the ID token it was asked for names its issuer in the token, whose
    // `iss` is verified before anything else is used (RFC 9207 §2.4, OpenID Connect Core
    // §3.2.2.11): certified providers leave the parameter out of such responses.
    const identifiedByIdToken =
      transaction.responseType.includes('id_token') && params.get('id_token') !== null
    if (
      core.metadata.authorization_response_iss_parameter_supported === true &&
      !identifiedByIdToken
    )
      throw new ValidationError(
        'ISS_MISSING',
        'The response has no iss although the provider promises one',
      )
  } else if (iss !== core.metadata.issuer) {
    throw new ValidationError('ISS_MISMATCH', 'The response iss names another issuer (mix-up)')
  }
}

/**
 * `AUTHORIZATION_RESPONSE_INVALID`: the authorization response `what`.
 *
 * @example
 * ```ts
 * if (!params.get('id_token')) throw invalidAuthorizationResponse('has no id_token')
 * ```
 */
export function invalidAuthorizationResponse(what: string): ValidationError {
  return new ValidationError('AUTHORIZATION_RESPONSE_INVALID', `The authorization response ${what}`)
}

const invalid = invalidAuthorizationResponse
