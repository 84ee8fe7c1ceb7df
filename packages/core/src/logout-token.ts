/**
 * Back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.6), for server apps.
 *
 * @module
 */
import type { ProtectedHeaderParameters } from 'jose'
import type { ClientCore } from './client-core.ts'
import { InvalidArgumentError, OpenRpError, ValidationError } from './errors.ts'
import { allowedIdTokenAlgs } from './id-token-claims.ts'
import { isTransient } from './jwks.ts'
import { verifyJwt } from './verify-jwt.ts'
import { InProcessLock } from './in-process-lock.ts'
import { assertLeaseHeld, type Lock, type LockLease, type Store } from './store.ts'

/** The `events` member a back-channel logout token must carry (OpenID Connect Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/** The claims of a validated back-channel logout token. */
export interface LogoutTokenClaims {
  iss: string
  aud: string | string[]
  iat: number
  jti: string
  /** At least one of `sub` and `sid` is present; neither is empty. */
  sub?: string
  sid?: string
  events: Record<string, unknown>
  [claim: string]: unknown
}

/** Options of the back-channel logout token validation. */
export interface ValidateLogoutTokenOptions {
  signal?: AbortSignal
  /**
   * The oldest `iat` accepted, in seconds before now (plus the clock tolerance). Default 300:
   * providers send logout tokens at once and retry for minutes at most.
   */
  maxTokenAgeSec?: number
  /**
   * Remembers the `jti` of every accepted token until it would be refused as too old anyway, so
   * the same token posted again is refused with `LOGOUT_TOKEN_REPLAYED` (answer 200 or 400 as
   * you prefer: the first delivery already ended the sessions). A shared store (e.g. RedisStore)
   * covers a fleet.
   */
  replayStore?: Store
  /**
   * Makes "unseen? then remember" one step for everyone sharing `replayStore` (e.g. RedisLock).
   * Default: one lock for this process.
   */
  replayLock?: Lock
}

/** The default {@link ValidateLogoutTokenOptions.maxTokenAgeSec}. */
export const DEFAULT_LOGOUT_TOKEN_MAX_AGE_SEC = 300

const processReplayLock = new InProcessLock()

/**
 * Validates a logout token posted to your `backchannel_logout_uri`. Every refusal is a
 * ValidationError `LOGOUT_TOKEN_INVALID` (answer 400); the underlying check is the `cause`. A
 * token issued more than `maxTokenAgeSec` ago is refused too. With `replayStore`, a token seen
 * before is refused with `LOGOUT_TOKEN_REPLAYED`. Network failures fetching the JWKS (no answer,
 * or a 5xx / 429 one: `JWKS_INVALID` with the status in `cause`), and a failing replay store,
 * keep their own codes (answer 5xx, the provider retries).
 *
 * @example
 * ```ts
 * async function onBackchannelLogout(form: FormData): Promise<Response> {
 *   try {
 *     const { sub, sid } = await validateLogoutToken(core, form.get('logout_token'), {
 *       replayStore: redisStore,
 *       replayLock: redisLock,
 *     })
 *     await endSessions({ sub, sid })
 *     return new Response(null, { status: 200 })
 *   } catch (e) {
 *     if (isOpenRpError(e, 'LOGOUT_TOKEN_REPLAYED')) return new Response(null, { status: 200 })
 *     if (isOpenRpError(e, 'LOGOUT_TOKEN_INVALID')) return new Response(null, { status: 400 })
 *     throw e
 *   }
 * }
 * ```
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#Validation
 */
export async function validateLogoutToken(
  core: ClientCore,
  logoutToken: unknown,
  options: ValidateLogoutTokenOptions = {},
): Promise<LogoutTokenClaims> {
  const maxAgeSec = options.maxTokenAgeSec ?? DEFAULT_LOGOUT_TOKEN_MAX_AGE_SEC
  if (!(Number.isFinite(maxAgeSec) && maxAgeSec > 0))
    throw new InvalidArgumentError('maxTokenAgeSec must be a positive number of seconds')
  if (options.replayStore !== undefined && typeof options.replayStore.get !== 'function')
    throw new InvalidArgumentError('replayStore must be a Store')
  if (typeof logoutToken !== 'string' || logoutToken.split('.').length !== 3)
    refuse('is not a compact JWS')
  const { decodeProtectedHeader } = await import('jose')
  let header: ProtectedHeaderParameters
  try {
    header = decodeProtectedHeader(logoutToken)
  } catch (error) {
    refuse('has a malformed header', error)
  }
  if (
    header.typ !== undefined &&
    !['logout+jwt', 'application/logout+jwt', 'JWT'].includes(header.typ)
  )
    refuse('has a wrong typ')
  let claims: Record<string, unknown>
  try {
    const result = await verifyJwt(
      core,
      logoutToken,
      { algorithms: allowedIdTokenAlgs(core), requiredClaims: ['iat', 'jti'] },
      options.signal,
    )
    claims = result.payload as Record<string, unknown>
  } catch (error) {
    // The key set could not be fetched (no answer, or a 5xx / 429 answer): the token was not
    // judged, so no 400; the provider retries the delivery.
    if (error instanceof OpenRpError && (error.code === 'ABORTED' || isTransient(error)))
      throw error
    refuse('failed signature or claim checks', error)
  }
  const now = Math.floor(core.options.clock.now() / 1000)
  const tolerance = core.options.clockToleranceSec
  if (typeof claims.iat !== 'number' || claims.iat > now + tolerance) refuse('has a bad iat')
  if (claims.iat < now - maxAgeSec - tolerance) refuse('is too old')
  if (typeof claims.jti !== 'string' || claims.jti === '') refuse('has a bad jti')
  const events = claims.events
  if (typeof events !== 'object' || events === null || Array.isArray(events))
    refuse('has no events claim')
  const event = (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT]
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    refuse('has no back-channel logout event')
  if (claims.nonce !== undefined) refuse('carries a nonce')
  if (claims.sub === undefined && claims.sid === undefined) refuse('has neither sub nor sid')
  // An empty one names no user or session: the app would end none, or every one it keys by it.
  if (claims.sub !== undefined && !nonEmptyString(claims.sub)) refuse('has a bad sub')
  if (claims.sid !== undefined && !nonEmptyString(claims.sid)) refuse('has a bad sid')
  const aud = claims.aud
  if (
    Array.isArray(aud) &&
    aud.length > 1 &&
    claims.azp !== undefined &&
    claims.azp !== core.options.clientId
  )
    refuse('has a foreign azp')
  if (options.replayStore !== undefined) {
    // Kept until the age check would refuse the token anyway.
    const ttlSec = Math.max(1, (claims.iat as number) + maxAgeSec + tolerance - now + 1)
    await rememberJti(options.replayStore, options.replayLock ?? processReplayLock, {
      key: `openrp:logout-jti:${core.metadata.issuer}:${claims.jti}`,
      ttlSec,
    })
  }
  return claims as LogoutTokenClaims
}

/** Refuses a `jti` already in `store`, else records it; one step under `lock`. */
async function rememberJti(
  store: Store,
  lock: Lock,
  { key, ttlSec }: { key: string; ttlSec: number },
): Promise<void> {
  await lock.withLock(key, async (lease?: LockLease) => {
    if ((await store.get(key)) !== undefined)
      throw new ValidationError('LOGOUT_TOKEN_REPLAYED', 'This logout token was seen before')
    // A lease lost while we read (LOCK_LOST): another receiver may be accepting this very token
    // now. Refuse it; the provider's retry is then accepted once, or seen as a replay.
    assertLeaseHeld(lease, key)
    await store.set(key, 1, { ttlSec })
  })
}

function refuse(what: string, cause?: unknown): never {
  throw new ValidationError(
    'LOGOUT_TOKEN_INVALID',
    `The logout token ${what}`,
    cause === undefined ? undefined : { cause },
  )
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}
