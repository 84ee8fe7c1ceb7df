/**
 * The tokens one grant produced, as an immutable value with a plain-JSON form for stores.
 *
 * @module
 */
import { InvalidArgumentError, ValidationError } from './errors.ts'
import { isJsonObject } from './internal/json-object.ts'

/** Claims of a validated ID token (OpenID Connect Core §2). */
export interface IdTokenClaims {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  nonce?: string
  auth_time?: number
  azp?: string
  acr?: string
  amr?: string[]
  sid?: string
  [claim: string]: unknown
}

/** The JSON form of a {@link TokenSet} (what stores keep). */
export interface TokenSetJSON {
  /** Not empty, except in a set of `tokenType` `none` (an `id_token` response's): `''`. */
  accessToken: string
  tokenType: string
  /** Epoch seconds; `undefined` when the provider sent no `expires_in`. */
  expiresAt?: number
  /** Epoch seconds when the response arrived; `undefined` when not known. */
  issuedAt?: number
  refreshToken?: string
  idToken?: string
  /** Validated claims of `idToken` (kept so a restored set needs no re-validation). */
  idTokenClaims?: IdTokenClaims
  scope?: string
  issuedTokenType?: string
  /** RFC 7638 thumbprint of the DPoP key the tokens are bound to (DPoP-bound sets only). */
  dpopJkt?: string
  /** Extra token response members (e.g. `authorization_details`), JSON only. */
  extra?: Record<string, unknown>
}

/** What {@link TokenSet}'s constructor takes: the JSON form. */
export type TokenSetInit = TokenSetJSON

/**
 * Tokens from one token (or front-channel) response. Immutable; `toJSON()` / `fromJSON()`
 * round-trip through any {@link Store}.
 *
 * @example
 * ```ts
 * const tokens = await client.refresh(old)
 * await store.set('tokens', tokens.toJSON())
 * const again = TokenSet.fromJSON(await store.get('tokens'))
 * if (again.isExpired(30)) await client.refresh(again)
 * ```
 */
export class TokenSet {
  // Declared, not defined as class fields: the constructor assigns every one, in this order.
  declare readonly accessToken: string
  /** `Bearer` or `DPoP` (normalised case). */
  declare readonly tokenType: string
  /** Epoch seconds when the access token expires; `undefined` if unknown. */
  declare readonly expiresAt: number | undefined
  /** Epoch seconds when the token response arrived; `undefined` if unknown. */
  declare readonly issuedAt: number | undefined
  declare readonly refreshToken: string | undefined
  declare readonly idToken: string | undefined
  declare readonly scope: string | undefined
  /** RFC 8693 `issued_token_type` (token exchange). */
  declare readonly issuedTokenType: string | undefined
  /** RFC 7638 thumbprint of the DPoP key the tokens are bound to; `undefined` when not bound. */
  declare readonly dpopJkt: string | undefined
  /** Other members of the token response. */
  declare readonly extra: Readonly<Record<string, unknown>> | undefined
  readonly #claims: IdTokenClaims | undefined

  constructor(init: TokenSetInit) {
    this.accessToken = init.accessToken
    this.tokenType = normaliseTokenType(init.tokenType)
    this.expiresAt = init.expiresAt
    this.issuedAt = init.issuedAt
    this.refreshToken = init.refreshToken
    this.idToken = init.idToken
    this.scope = init.scope
    this.issuedTokenType = init.issuedTokenType
    this.dpopJkt = init.dpopJkt
    this.extra = init.extra
    this.#claims = init.idTokenClaims
  }

  /** The validated ID token claims, or `undefined` when the set carries no ID token. */
  claims(): IdTokenClaims | undefined {
    return this.#claims ? { ...this.#claims } : undefined
  }

  /** Seconds until the access token expires (may be negative); `undefined` if unknown. */
  expiresIn(now: number = nowSec()): number | undefined {
    return this.expiresAt === undefined ? undefined : this.expiresAt - now
  }

  /**
   * Whether the access token is expired, or expires within `skewSec` seconds. A set without
   * `expiresAt` is never considered expired (the provider did not say).
   */
  isExpired(skewSec = 0, now: number = nowSec()): boolean {
    if (this.expiresAt === undefined) return false
    return this.expiresAt - skewSec <= now
  }

  /**
   * Whether it is time to renew: like {@link TokenSet.isExpired}, but `skewSec` is capped at half
   * the token's lifetime when `issuedAt` is known, so a token that lives less than `skewSec` is
   * used for half its life instead of being renewed on every call.
   */
  needsRenewal(skewSec = 0, now: number = nowSec()): boolean {
    return this.isExpired(this.renewalSkew(skewSec), now)
  }

  /** The skew {@link TokenSet.needsRenewal} applies: `skewSec`, at most half the lifetime. */
  renewalSkew(skewSec: number): number {
    if (this.expiresAt === undefined || this.issuedAt === undefined) return skewSec
    return Math.min(skewSec, Math.max(0, (this.expiresAt - this.issuedAt) / 2))
  }

  /** Plain JSON for stores; `TokenSet.fromJSON(set.toJSON())` gives an equal set. */
  toJSON(): TokenSetJSON {
    const json: TokenSetJSON = { accessToken: this.accessToken, tokenType: this.tokenType }
    if (this.expiresAt !== undefined) json.expiresAt = this.expiresAt
    if (this.issuedAt !== undefined) json.issuedAt = this.issuedAt
    if (this.refreshToken !== undefined) json.refreshToken = this.refreshToken
    if (this.idToken !== undefined) json.idToken = this.idToken
    if (this.#claims !== undefined) json.idTokenClaims = { ...this.#claims }
    if (this.scope !== undefined) json.scope = this.scope
    if (this.issuedTokenType !== undefined) json.issuedTokenType = this.issuedTokenType
    if (this.dpopJkt !== undefined) json.dpopJkt = this.dpopJkt
    if (this.extra !== undefined) json.extra = { ...this.extra }
    return json
  }

  /**
   * Rebuilds a set from {@link TokenSet.toJSON} output (e.g. read back from a store).
   * Throws a ValidationError with code `INVALID_ARGUMENT` on anything else, e.g. an empty
   * `accessToken` (allowed only with `tokenType` `none`: the ID-token-only set of an `id_token`
   * response).
   */
  static fromJSON(value: unknown): TokenSet {
    if (value instanceof TokenSet) return value
    if (!isJsonObject(value)) throw invalid('is not an object')
    if (typeof value.accessToken !== 'string') throw invalid('has no accessToken string')
    // Only type `none` (the ID-token-only set of an `id_token` response) has no access token.
    if (value.accessToken === '' && value.tokenType !== 'none')
      throw invalid('has an empty accessToken')
    if (typeof value.tokenType !== 'string' || value.tokenType === '')
      throw invalid('has no tokenType')
    for (const name of ['expiresAt', 'issuedAt']) {
      if (value[name] !== undefined && !Number.isFinite(value[name]))
        throw invalid(`has a non-numeric ${name}`)
    }
    for (const name of ['refreshToken', 'idToken', 'scope', 'issuedTokenType', 'dpopJkt']) {
      if (value[name] !== undefined && typeof value[name] !== 'string')
        throw invalid(`has a bad ${name}`)
    }
    if (value.idTokenClaims !== undefined && !isClaims(value.idTokenClaims))
      throw invalid('has malformed idTokenClaims')
    if (value.extra !== undefined && !isJsonObject(value.extra))
      throw invalid('has a non-object extra')
    // The constructor takes the members it knows, nothing else.
    return new TokenSet(value as unknown as TokenSetJSON)
  }
}

/** Narrowing helper for arguments that accept a token string or a set. */
export function accessTokenOf(tokenOrSet: string | TokenSet): string {
  if (typeof tokenOrSet === 'string' && tokenOrSet !== '') return tokenOrSet
  if (tokenOrSet instanceof TokenSet) return tokenOrSet.accessToken
  throw new InvalidArgumentError('Expected an access token string or a TokenSet')
}

function normaliseTokenType(tokenType: string): string {
  const lower = tokenType.toLowerCase()
  if (lower === 'bearer') return 'Bearer'
  if (lower === 'dpop') return 'DPoP'
  return tokenType
}

function isClaims(value: unknown): value is IdTokenClaims {
  return isJsonObject(value) && typeof value.iss === 'string' && typeof value.sub === 'string'
}

function invalid(what: string): ValidationError {
  return new ValidationError('INVALID_ARGUMENT', `TokenSet JSON ${what}`)
}

function nowSec(): number {
  return Math.floor(Date.now() / 1000)
}
