/**
 * OAuth 2.0 Token Exchange (RFC 8693): impersonation (subject token only) and delegation
 * (subject and actor tokens).
 *
 * @module
 */
import type * as oauth from 'oauth4webapi'
import type { ClientCore } from '../client-core.ts'
import { InvalidArgumentError, ValidationError } from '../errors.ts'
import type { TokenSet } from '../token-set.ts'
import { CLIENT_PARAMS, extraParamsOf } from '../internal/extra-params.ts'
import { appendCheckedResources } from '../internal/token-request.ts'
import { genericGrant, toSearchParams } from './generic.ts'

/** RFC 8693 §3 token type identifiers. */
export const TOKEN_TYPES = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  saml2: 'urn:ietf:params:oauth:token-type:saml2',
} as const

/** Options of `client.tokenExchange()` (RFC 8693). */
export interface TokenExchangeOptions {
  subjectToken: string
  subjectTokenType: string
  /** Delegation: the party acting on behalf of the subject. */
  actorToken?: string
  actorTokenType?: string
  requestedTokenType?: string
  /** The target service(s) (RFC 8693 §2.1); an empty one is INVALID_ARGUMENT. */
  audience?: string | string[]
  resource?: string | string[]
  scope?: string
  /**
   * Further parameters, e.g. a provider's own (Keycloak's `requested_subject`,
   * `subject_issuer`). Not the ones openrp sets (`grant_type`, client authentication) or that
   * have an option here (`subject_token`, `audience`, `resource`, ...): INVALID_ARGUMENT.
   */
  extraParams?: Record<string, string>
  signal?: AbortSignal
}

/**
 * Exchanges a token for another (RFC 8693 §2.1). The result's `issuedTokenType` says what came
 * back (an answer without it is `TOKEN_RESPONSE_INVALID`); its `accessToken` holds the issued
 * token whatever its type, and `tokenType` is `N_A` when that is no access token (e.g.
 * `requestedTokenType: TOKEN_TYPES.idToken`). A token that is no access token need not be
 * DPoP-bound.
 *
 * @example
 * ```ts
 * const downstream = await tokenExchange(core, {
 *   subjectToken: incoming, subjectTokenType: TOKEN_TYPES.accessToken,
 *   audience: 'https://downstream.example.com',
 * })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8693#section-2.1
 */
export async function tokenExchange(
  core: ClientCore,
  options: TokenExchangeOptions,
): Promise<TokenSet> {
  if (!nonEmpty(options?.subjectToken) || !nonEmpty(options.subjectTokenType))
    throw new InvalidArgumentError('tokenExchange needs subjectToken and subjectTokenType')
  if ((options.actorToken === undefined) !== (options.actorTokenType === undefined))
    throw new InvalidArgumentError('actorToken and actorTokenType go together')
  // An empty actor token would make a delegation an impersonation at a lenient provider.
  if (
    options.actorToken !== undefined &&
    !(nonEmpty(options.actorToken) && nonEmpty(options.actorTokenType))
  )
    throw new InvalidArgumentError('actorToken and actorTokenType must be non-empty strings')
  // An empty audience counts as none (RFC 6749 §3.1): a token for the provider's default one.
  if ([options.audience ?? []].flat().includes(''))
    throw new InvalidArgumentError('audience must be non-empty')
  const params = extraParamsOf(options.extraParams, CLIENT_PARAMS, OWN_PARAMS)
  const standard = toSearchParams({
    subject_token: options.subjectToken,
    subject_token_type: options.subjectTokenType,
    actor_token: options.actorToken,
    actor_token_type: options.actorTokenType,
    requested_token_type: options.requestedTokenType,
    audience: options.audience,
    scope: options.scope,
  })
  for (const [name, value] of standard) params.append(name, value)
  appendCheckedResources(params, options.resource)
  const exchanged = await genericGrant(
    core,
    'urn:ietf:params:oauth:grant-type:token-exchange',
    params,
    options.signal,
    EXCHANGE_PROCESSING,
  )
  // RFC 8693 §2.2.1: REQUIRED; without it the caller cannot tell what it was given.
  if (exchanged.issuedTokenType === undefined)
    throw new ValidationError(
      'TOKEN_RESPONSE_INVALID',
      'The token exchange response has no issued_token_type',
    )
  return exchanged
}

/** The request parameters that have an option of their own (parameter to option name). */
const OWN_PARAMS: Record<string, string> = {
  subject_token: 'subjectToken',
  subject_token_type: 'subjectTokenType',
  actor_token: 'actorToken',
  actor_token_type: 'actorTokenType',
  requested_token_type: 'requestedTokenType',
  audience: 'audience',
  resource: 'resource',
  scope: 'scope',
}

/**
 * RFC 8693 §2.2.1: `token_type` is `N_A` when the issued token is not an access token (an ID
 * token, a refresh token, a SAML assertion...). oauth4webapi lowercases it; the TokenSet says
 * `N_A`.
 */
const EXCHANGE_PROCESSING: oauth.ProcessTokenResponseOptions = {
  recognizedTokenTypes: { n_a: () => {} },
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}
