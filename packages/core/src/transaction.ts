/**
 * The state of one authorization request between the redirect out and the callback: plain JSON
 * the caller keeps (session storage, a cookie-backed store) and hands back exactly once.
 *
 * @module
 */
import { ValidationError } from './errors.ts'
import { isJsonObject } from './internal/json-object.ts'

/** Response types openrp handles. `id_token` and `id_token token` are legacy (implicit). */
export type ResponseType =
  | 'code'
  | 'code id_token'
  | 'code token'
  | 'code id_token token'
  | 'id_token'
  | 'id_token token'

/** Where the provider puts the response parameters. */
export type ResponseMode = 'query' | 'fragment' | 'form_post'

export const RESPONSE_TYPES: readonly ResponseType[] = [
  'code',
  'code id_token',
  'code token',
  'code id_token token',
  'id_token',
  'id_token token',
]

/**
 * One pending authorization request. Plain JSON; keep it until the callback and use it once
 * (delete it from the store before handling the response: state is single use).
 */
export interface AuthTransaction {
  state: string
  nonce?: string
  /** PKCE verifier (every response type that includes `code`). */
  codeVerifier?: string
  responseType: ResponseType
  responseMode?: ResponseMode
  redirectUri: string
  maxAge?: number
  /** Epoch seconds. */
  createdAt: number
  /** The issuer the request went to (mix-up defence). */
  issuer: string
  scope?: string
  /**
   * Whether the response must bring an ID token: `openid` in the scope or `id_token` in the
   * response type. Transactions stored before this member existed infer it from `nonce`.
   */
  idTokenRequired?: boolean
}

/**
 * Whether `transaction` requires an ID token: its recorded `idTokenRequired`, or for a
 * transaction stored before that member existed, whether it has a nonce (openrp sends one with
 * every OpenID request).
 *
 * @example
 * ```ts
 * idTokenRequired({ ...transaction, idTokenRequired: undefined }) // old JSON: nonce !== undefined
 * ```
 */
export function idTokenRequired(transaction: AuthTransaction): boolean {
  return transaction.idTokenRequired ?? transaction.nonce !== undefined
}

/** The default response mode of a response type (OAuth 2.0 Multiple Response Types §5). */
export function defaultResponseMode(responseType: ResponseType): ResponseMode {
  return responseType === 'code' ? 'query' : 'fragment'
}

/**
 * Checks that `value` is an {@link AuthTransaction}; throws ValidationError `INVALID_ARGUMENT`
 * otherwise (e.g. garbage read back from a store).
 */
export function assertTransaction(value: unknown): asserts value is AuthTransaction {
  const fail = (what: string): never => {
    throw new ValidationError('INVALID_ARGUMENT', `The transaction ${what}`)
  }
  if (!isJsonObject(value)) fail('is not an object')
  const t = value as Record<string, unknown>
  if (typeof t.state !== 'string' || t.state === '') fail('has no state')
  if (!RESPONSE_TYPES.includes(t.responseType as ResponseType)) fail('has an unknown responseType')
  if (typeof t.redirectUri !== 'string') fail('has no redirectUri')
  if (typeof t.issuer !== 'string') fail('has no issuer')
  if (typeof t.createdAt !== 'number') fail('has no createdAt')
  for (const key of ['nonce', 'codeVerifier', 'scope'] as const) {
    if (t[key] !== undefined && typeof t[key] !== 'string') fail(`has a bad ${key}`)
  }
  if (
    t.responseMode !== undefined &&
    !['query', 'fragment', 'form_post'].includes(t.responseMode as string)
  )
    fail('has a bad responseMode')
  if (t.maxAge !== undefined && (typeof t.maxAge !== 'number' || !(t.maxAge >= 0)))
    fail('has a bad maxAge')
  if (t.idTokenRequired !== undefined && typeof t.idTokenRequired !== 'boolean')
    fail('has a bad idTokenRequired')
  const type = t.responseType as string
  if (type.includes('code') && typeof t.codeVerifier !== 'string') fail('has no codeVerifier')
  if (type.includes('id_token') && typeof t.nonce !== 'string') fail('has no nonce')
}
