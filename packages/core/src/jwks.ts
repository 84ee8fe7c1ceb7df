/**
 * The provider's JSON Web Key Set: fetched on first use, refetched once when a token names an
 * unknown `kid` (concurrent refetches merged into one, then a cooldown so unknown kids cannot
 * make openrp hammer the `jwks_uri`). Concurrent callers share one fetch, bounded by the core's
 * `timeoutMs`; each caller's own signal only ends its own wait. When refreshing a set older than
 * `jwksMaxAgeMs` fails for network reasons, the last good set keeps serving. Its ages and
 * cooldowns are read from the core's `clock` (`ClientOptions.clock`).
 *
 * The cache is openrp's own, and holds the keys openrp may verify with only (entries that are no
 * JSON object, private keys, RSA keys under 2048 bits and EC keys WebCrypto refuses are left
 * out): jose gets each set through
 * `createLocalJWKSet`
 * ({@link LoadedJwks.joseKeys}); token endpoint ID tokens are verified with the keys imported
 * from it ({@link LoadedJwks.verificationKeys}). Neither library keeps a key set of its own.
 *
 * @module
 */
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose'
import * as oauth from 'oauth4webapi'
import type { ClientCore } from './client-core.ts'
import { AbortError, NetworkError, TimeoutError, ValidationError } from './errors.ts'
import { decodeBase64Url } from './internal/base64url.ts'
import { isJsonObject } from './internal/json-object.ts'
import { operation } from './internal/operation.ts'
import { isRetryableStatus } from './internal/retry.ts'
import type { WebCryptoKey } from './key-types.ts'

/** One fetched key set. */
export interface LoadedJwks {
  readonly jwks: JSONWebKeySet
  /** 1 for the first fetch, then one more per refetch. */
  readonly generation: number
  /** The core's `clock.now()` when fetched. */
  readonly at: number
  /**
   * jose's key resolver over this set (`createLocalJWKSet`), made by the first jose
   * verification that uses the set, so its imported keys are reused until the set is replaced.
   */
  joseKeys?: JWTVerifyGetKey
  /**
   * The key {@link joseKeys} picked, by the JWT header text it picked it for (`verify-jwt.ts`),
   * so a header seen before needs no search of the set. Kept until the set is replaced.
   */
  joseKeysByHeader?: Map<string, Awaited<ReturnType<JWTVerifyGetKey>>>
  /**
   * The WebCrypto keys of this set that verify token endpoint ID tokens, by `alg` and `kid`,
   * imported on first use and kept until the set is replaced (`token-id-token.ts`): the import's
   * promise while it runs, then the keys.
   */
  verificationKeys?: Map<string, WebCryptoKey[] | Promise<WebCryptoKey[]>>
}

/** Cached JWKS of one provider. */
export interface JwksCache {
  /**
   * The current key set when one is loaded and within `jwksMaxAgeMs` (or serving stale while
   * the provider cannot be reached), without waiting; else `undefined` ({@link current} then
   * fetches).
   */
  fresh(): LoadedJwks | undefined
  /**
   * The current key set: fetched on first use, and again once older than `jwksMaxAgeMs` (when
   * that refresh fails for network reasons, the old set, refreshed again after
   * `jwksCooldownMs`). `signal` ends this caller's wait (ABORTED), not the shared fetch.
   */
  current(signal?: AbortSignal): Promise<LoadedJwks>
  /**
   * A newer key set after `seen` named no key for a token: someone else's refetch if there
   * was one since, else a new fetch, unless `seen` was itself fetched for this validation or the
   * cooldown (`jwksCooldownMs`) since the last refetch has not passed (`undefined`; when that
   * refetch failed and no fetch succeeded since, its error: the key may be published).
   */
  refetch(
    seen: LoadedJwks,
    fetchedNow: boolean,
    signal?: AbortSignal,
  ): Promise<LoadedJwks | undefined>
  /** How many times the key set was fetched (for tests and metrics). */
  readonly fetchCount: number
}

/** Creates the cache; `getCore` breaks the core ↔ cache cycle. */
export function createJwksCache(getCore: () => ClientCore): JwksCache {
  let loaded: LoadedJwks | undefined
  let inflight: Promise<LoadedJwks> | undefined
  let lastRefetchAt = Number.NEGATIVE_INFINITY
  /** What the last refetch failed with, until a fetch succeeds. */
  let refetchFailure: unknown
  /** After a stale set's refresh failed on the network: no new attempt before this time. */
  let staleUntil = Number.NEGATIVE_INFINITY
  let fetchCount = 0
  const now = () => getCore().options.clock.now()

  function fresh(): LoadedJwks | undefined {
    if (loaded === undefined) return undefined
    const at = now()
    // A set older than jwksMaxAgeMs is refetched, so keys the provider withdrew stop counting.
    return at - loaded.at <= getCore().options.jwksMaxAgeMs || at < staleUntil ? loaded : undefined
  }

  /**
   * The one fetch every caller shares. It runs under the core's own `timeoutMs` only, never
   * under a caller's signal: a caller that gives up stops waiting ({@link untilAborted}), the
   * others keep waiting for the same fetch.
   */
  function load(): Promise<LoadedJwks> {
    if (inflight) return inflight
    const started = fetchJwks(getCore())
      .then((jwks) => {
        fetchCount++
        loaded = { jwks, generation: (loaded?.generation ?? 0) + 1, at: now() }
        staleUntil = Number.NEGATIVE_INFINITY
        refetchFailure = undefined
        return loaded
      })
      .finally(() => {
        inflight = undefined
      })
    // Every caller may have given up by the time it fails: not an unhandled rejection.
    started.catch(() => {})
    inflight = started
    return started
  }

  return {
    get fetchCount() {
      return fetchCount
    },
    fresh,
    current(signal) {
      const current = fresh()
      if (current !== undefined) return Promise.resolve(current)
      const stale = loaded
      if (stale === undefined) return untilAborted(load(), signal)
      // The provider cannot be reached: the last good set serves until it can (retried at most
      // every jwksCooldownMs). A set that names no key for a token is still refetched as before.
      const refreshed = load().catch((error: unknown) => {
        if (!isTransient(error)) throw error
        staleUntil = now() + getCore().options.jwksCooldownMs
        return stale
      })
      return untilAborted(refreshed, signal)
    },
    async refetch(seen, fetchedNow, signal) {
      // The set was fetched for this very validation: fetching again cannot help.
      if (fetchedNow && loaded?.generation === seen.generation) return undefined
      // Someone else refetched since: try their set before fetching again.
      if (loaded && loaded.generation !== seen.generation) return loaded
      if (inflight) return untilAborted(inflight, signal)
      if (now() - lastRefetchAt < getCore().options.jwksCooldownMs) {
        // The refetch failed: whether the provider has the key is unknown, so no "no key" (a
        // logout token refused with 400 is not delivered again).
        if (refetchFailure !== undefined) throw refetchFailure
        return undefined
      }
      lastRefetchAt = now()
      const refetched = load()
      refetched.catch((error: unknown) => {
        refetchFailure = error
      })
      return untilAborted(refetched, signal)
    },
  }
}

/** `promise`, or ABORTED as soon as `signal` fires (the shared work goes on for the others). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortError(undefined, { cause: signal.reason }))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * Whether a JWKS fetch failed for network reasons: no answer in time, or 408/425/429/5xx. A
 * JWT that could not be checked for such a reason was not refused: asking again later can pass.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof NetworkError || error instanceof TimeoutError) return true
  const status = (error as { cause?: { status?: unknown } } | undefined)?.cause?.status
  return error instanceof ValidationError && typeof status === 'number' && isRetryableStatus(status)
}

async function fetchJwks(core: ClientCore): Promise<JSONWebKeySet> {
  const uri = core.metadata.jwks_uri
  if (typeof uri !== 'string')
    throw new ValidationError('METADATA_INVALID', 'The provider publishes no "jwks_uri"')
  return operation(core, { retry: true, context: 'jwks' }, async (http) => {
    const res = await http[oauth.customFetch](uri, {
      method: 'GET',
      headers: { accept: 'application/json, application/jwk-set+json' },
      redirect: 'manual',
    })
    if (res.status !== 200)
      throw new ValidationError('JWKS_INVALID', `The JWKS endpoint answered HTTP ${res.status}`, {
        cause: { status: res.status },
      })
    let body: unknown
    try {
      body = await res.json()
    } catch {
      throw new ValidationError('JWKS_INVALID', 'The JWKS is not valid JSON')
    }
    const keys = isJsonObject(body) ? body.keys : undefined
    if (!Array.isArray(keys))
      throw new ValidationError('JWKS_INVALID', 'The JWKS has no "keys" array')
    // An entry that is no JSON object is no key (jose would refuse the whole set for it), nor is
    // a private key, an RSA key under 2048 bits or an EC key that is no point of its curve (jose
    // refuses to verify with them, the token endpoint path cannot import them): the set both
    // verification paths see holds the others only, so such a key is "no key" (and refetched)
    // on both.
    const usable = await Promise.all(keys.map(isUsableKey))
    return { keys: keys.filter((_, i) => usable[i]) } as JSONWebKeySet
  })
}

/** The curves of the EC keys openrp verifies with (ES256, ES384, ES512). */
const EC_CURVES: unknown[] = ['P-256', 'P-384', 'P-521']

/**
 * Whether a JWKS entry may be a verification key: a JSON object without a private part (`d`),
 * no RSA key under 2048 bits, and no EC key of these curves that WebCrypto refuses to import
 * (a point off the curve, or coordinates of another length).
 */
async function isUsableKey(jwk: unknown): Promise<boolean> {
  if (!isJsonObject(jwk) || jwk.d !== undefined) return false
  const { kty, crv, n, x, y } = jwk
  if (kty === 'RSA') return typeof n !== 'string' || modulusBits(n) >= 2048
  if (kty !== 'EC' || !EC_CURVES.includes(crv)) return true
  const params = { name: 'ECDSA', namedCurve: crv as string }
  return crypto.subtle
    .importKey('jwk', { kty, crv, x, y } as JsonWebKey, params, false, ['verify'])
    .then(
      () => true,
      () => false,
    )
}

/** The bit length of a base64url RSA modulus (0 when it is not base64url). */
function modulusBits(n: string): number {
  try {
    const bytes = decodeBase64Url(n)
    const first = bytes.findIndex((byte) => byte !== 0)
    return first < 0 ? 0 : (bytes.length - first) * 8 + 24 - Math.clz32(bytes[first] as number)
  } catch {
    return 0
  }
}

/**
 * Runs `attempt(set, job)` with the current key set and, when it finds no key for the token
 * (`noKey`), once more with a newer set if the cache's refetch policy gives one; else the first
 * error stands. The one refetch rule of every JWT openrp verifies (with jose and with WebCrypto
 * alike). `job` carries what the attempt verifies, so callers pass module-level functions
 * instead of making closures on every verification.
 */
export async function withKeySet<T, J>(
  cache: JwksCache,
  signal: AbortSignal | undefined,
  attempt: (set: LoadedJwks, job: J) => Promise<T>,
  noKey: (error: unknown) => boolean,
  job: J,
): Promise<T> {
  const before = cache.fetchCount
  // A loaded set is used without a wait: this runs on every token response with an ID token.
  const current = cache.fresh() ?? (await cache.current(signal))
  try {
    return await attempt(current, job)
  } catch (error) {
    if (!noKey(error)) throw error
    const newer = await cache.refetch(current, cache.fetchCount !== before, signal)
    if (!newer) throw error
    return attempt(newer, job)
  }
}
