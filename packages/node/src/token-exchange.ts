/**
 * Calling another service on behalf of a user: token exchange (RFC 8693) in delegation form,
 * where the calling service proves who it is with its own token as the actor token.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8693#section-1.1 (delegation vs impersonation)
 * @module
 */
import {
  type Client,
  InvalidArgumentError,
  TOKEN_TYPES,
  type TokenSet,
  ValidationError,
} from '@openrp/core'
import type { ClientCredentialsProvider, GetTokenOptions } from './client-credentials-provider.ts'

/** Options of {@link exchangeOnBehalfOf}. */
export interface OnBehalfOfOptions {
  /** The user's token, as the calling service received it (e.g. from `Authorization`). */
  subjectToken: string
  /** Type of `subjectToken` (default: an access token). */
  subjectTokenType?: string
  /**
   * The acting service's own token (delegation): a token string, or a provider whose
   * `getToken(actorTokenOptions)` gives one (e.g. the service's ClientCredentialsProvider).
   * Without it the exchange is an impersonation.
   */
  actor?: string | Pick<ClientCredentialsProvider, 'getToken'>
  /** What to ask the actor provider for (scope, audience). */
  actorTokenOptions?: Omit<GetTokenOptions, 'forceRefresh'>
  /** Type of the actor token (default: an access token). */
  actorTokenType?: string
  /** Where the new token will be used (RFC 8693 `audience`), e.g. the downstream API. */
  audience?: string | string[]
  /** RFC 8707 resource indicator(s) of the downstream API. */
  resource?: string | string[]
  /** Scope of the new token; usually narrower than the subject token's. */
  scope?: string
  /** Type of token wanted (default: an access token). */
  requestedTokenType?: string
  signal?: AbortSignal
}

/**
 * Exchanges the user's token for one the downstream service accepts, with this service as the
 * actor (RFC 8693 delegation: the new token says "this service, acting for that user").
 *
 * The provider must allow the client the token-exchange grant and the audience. When the
 * provider names the type of token it issued and it is not the one requested, the result is
 * refused with `TOKEN_RESPONSE_INVALID`.
 *
 * @example
 * ```ts
 * const m2m = new ClientCredentialsProvider({ client: gateway })
 * const downstream = await exchangeOnBehalfOf(gateway, {
 *   subjectToken: incomingAccessToken,
 *   actor: m2m,
 *   audience: 'https://downstream.example.com',
 *   scope: 'api:read',
 * })
 * await fetch(url, { headers: { authorization: `Bearer ${downstream.accessToken}` } })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8693#section-2.1
 */
export async function exchangeOnBehalfOf(
  client: Client,
  options: OnBehalfOfOptions,
): Promise<TokenSet> {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options must be an object')
  if (typeof options.subjectToken !== 'string' || options.subjectToken === '')
    throw new InvalidArgumentError('subjectToken must be a non-empty string')
  const actorToken = await resolveActor(options)
  const requestedTokenType = options.requestedTokenType ?? TOKEN_TYPES.accessToken
  const tokens = await client.tokenExchange({
    subjectToken: options.subjectToken,
    subjectTokenType: options.subjectTokenType ?? TOKEN_TYPES.accessToken,
    ...(actorToken !== undefined && {
      actorToken,
      actorTokenType: options.actorTokenType ?? TOKEN_TYPES.accessToken,
    }),
    requestedTokenType,
    ...(options.audience !== undefined && { audience: options.audience }),
    ...(options.resource !== undefined && { resource: options.resource }),
    ...(options.scope !== undefined && { scope: options.scope }),
    ...(options.signal !== undefined && { signal: options.signal }),
  })
  if (tokens.issuedTokenType !== undefined && tokens.issuedTokenType !== requestedTokenType)
    throw new ValidationError(
      'TOKEN_RESPONSE_INVALID',
      `The provider issued a ${tokens.issuedTokenType} instead of the requested ${requestedTokenType}`,
    )
  return tokens
}

async function resolveActor(options: OnBehalfOfOptions): Promise<string | undefined> {
  const { actor } = options
  if (actor === undefined) return undefined
  if (typeof actor === 'string') {
    if (actor === '') throw new InvalidArgumentError('actor must be a non-empty token')
    return actor
  }
  if (typeof actor?.getToken !== 'function')
    throw new InvalidArgumentError('actor must be a token string or a token provider')
  const tokens = await actor.getToken(options.actorTokenOptions ?? {})
  return tokens.accessToken
}
