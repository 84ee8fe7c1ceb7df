/**
 * The provider's JSON Web Key Set: fetched on first use, refetched once when a token names an
 * unknown `kid` (concurrent refetches merged into one, then a cooldown so unknown kids cannot
 * make openrp hammer the `jwks_uri`). Concurrent callers share one fetch, bounded by the core's
 * `timeoutMs`; each caller's own signal only ends its own wait. When refreshing a set older than
 * `jwksMaxAgeMs` fails for network reasons, the last good set keeps serving.
 *
 * @module
 */
import {
  type CompactJWSHeaderParameters,
  type CompactVerifyResult,
  compactVerify,
  createLocalJWKSet,
  errors as joseErrors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWK,
  type JWSHeaderParameters,
  type JWTVerifyGetKey,
} from 'jose'
import * as oauth from 'oauth4webapi'
import type { ClientCore } from './client-core.ts'
import { AbortError, NetworkError, TimeoutError, ValidationError } from './errors.ts'
import { checkJwtClaims, type JwtClaimChecks } from './internal/jwt-claims.ts'
import { operation } from './internal/operation.ts'
import { isRetryableStatus } from './internal/retry.ts'

/** One fetched key set. */
export interface LoadedJwks {
  readonly jwks: JSONWebKeySet
  /** 1 for the first fetch, then one more per refetch. */
  readonly generation: number
  /** Date.now() when fetched. */
  readonly at: number
}

/** Cached JWKS of one provider. */
export interface JwksCache {
  /**
   * The current key set: fetched on first use, and again once older than `jwksMaxAgeMs` (when
   * that refresh fails for network reasons, the old set, refreshed again after
   * `jwksCooldownMs`). `signal` ends this caller's wait (ABORTED), not the shared fetch.
   */
  current(signal?: AbortSignal): Promise<LoadedJwks>
  /**
   * A newer key set after `seen` named no key for a token: someone else's refetch if there
   * was one since, else a new fetch, unless `seen` was itself fetched for this validation or the
   * cooldown (`jwksCooldownMs`) since the last refetch has not passed (`undefined`).
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
  /** After a stale set's refresh failed on the network: no new attempt before this time. */
  let staleUntil = Number.NEGATIVE_INFINITY
  let fetchCount = 0

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
        loaded = { jwks, generation: (loaded?.generation ?? 0) + 1, at: Date.now() }
        staleUntil = Number.NEGATIVE_INFINITY
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
    current(signal) {
      const now = Date.now()
      // A set older than jwksMaxAgeMs is refetched, so keys the provider withdrew stop counting.
      if (
        loaded !== undefined &&
        (now - loaded.at <= getCore().options.jwksMaxAgeMs || now < staleUntil)
      )
        return Promise.resolve(loaded)
      const stale = loaded
      if (stale === undefined) return untilAborted(load(), signal)
      // The provider cannot be reached: the last good set serves until it can (retried at most
      // every jwksCooldownMs). A set that names no key for a token is still refetched as before.
      const refreshed = load().catch((error: unknown) => {
        if (!isTransient(error)) throw error
        staleUntil = Date.now() + getCore().options.jwksCooldownMs
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
      if (Date.now() - lastRefetchAt < getCore().options.jwksCooldownMs) return undefined
      lastRefetchAt = Date.now()
      return untilAborted(load(), signal)
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

/** Errors of fetchJwks for an HTTP status worth another attempt later (5xx, 429, ...). */
const transientStatusErrors = new WeakSet<object>()

/** Whether a JWKS fetch failed for network reasons: no answer in time, or 408/425/429/5xx. */
function isTransient(error: unknown): boolean {
  if (error instanceof NetworkError || error instanceof TimeoutError) return true
  return typeof error === 'object' && error !== null && transientStatusErrors.has(error)
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
    if (res.status !== 200) {
      const error = new ValidationError(
        'JWKS_INVALID',
        `The JWKS endpoint answered HTTP ${res.status}`,
      )
      if (isRetryableStatus(res.status)) transientStatusErrors.add(error)
      throw error
    }
    let body: unknown
    try {
      body = await res.json()
    } catch {
      throw new ValidationError('JWKS_INVALID', 'The JWKS is not valid JSON')
    }
    if (
      typeof body !== 'object' ||
      body === null ||
      !Array.isArray((body as { keys?: unknown }).keys)
    )
      throw new ValidationError('JWKS_INVALID', 'The JWKS has no "keys" array')
    return body as JSONWebKeySet
  })
}

const localSets = new WeakMap<LoadedJwks, ReturnType<typeof createLocalJWKSet>>()

/**
 * Runs `attempt` with the current key set and, when it finds no key for the token (`noKey`),
 * once more with a newer set if the cache's refetch policy gives one; else the first error
 * stands. Shared by the jose resolver and the oauth4webapi path.
 */
async function withKeySet<T>(
  cache: JwksCache,
  signal: AbortSignal | undefined,
  attempt: (set: LoadedJwks) => Promise<T>,
  noKey: (error: unknown) => boolean,
): Promise<T> {
  const before = cache.fetchCount
  const current = await cache.current(signal)
  try {
    return await attempt(current)
  } catch (error) {
    if (!noKey(error)) throw error
    const newer = await cache.refetch(current, cache.fetchCount !== before, signal)
    if (!newer) throw error
    return attempt(newer)
  }
}

/** A jose key resolver over the cache: refetches once when a token names an unknown key. */
function joseResolver(cache: JwksCache, signal: AbortSignal | undefined): JWTVerifyGetKey {
  return (header: JWSHeaderParameters, token: FlattenedJWSInput) =>
    withKeySet(
      cache,
      signal,
      (set) => localKeys(set)(header, token),
      (error) => error instanceof joseErrors.JWKSNoMatchingKey,
    )
}

function localKeys(set: LoadedJwks): ReturnType<typeof createLocalJWKSet> {
  let keys = localSets.get(set)
  if (!keys) {
    keys = createLocalJWKSet(set.jwks)
    localSets.set(set, keys)
  }
  return keys
}

/** The algorithms a JWT may be signed with, and its claim checks. */
export interface JwtVerification extends JwtClaimChecks {
  algorithms: string[]
}

/**
 * Verifies a JWT against the provider's JWKS (jose `compactVerify`), then its registered claims
 * ({@link checkJwtClaims}). When the header names no `kid` and several keys fit, each is tried
 * in turn (OpenID RP test `rp-id_token-kid-absent-multiple-jwks`).
 */
export async function verifyWithJwks(
  core: ClientCore,
  jwt: string,
  options: JwtVerification,
  signal?: AbortSignal,
): Promise<{ payload: Record<string, unknown>; protectedHeader: CompactJWSHeaderParameters }> {
  const verify = { algorithms: options.algorithms }
  let result: CompactVerifyResult
  try {
    result = await compactVerify(jwt, joseResolver(core.jwks, signal), verify)
  } catch (error) {
    if (!(error instanceof joseErrors.JWKSMultipleMatchingKeys)) throw error
    result = await verifyWithCandidates(jwt, error as unknown as AsyncIterable<CryptoKey>, verify)
  }
  if (result.protectedHeader.b64 === false)
    throw new ValidationError('JWT_MALFORMED', 'A JWT cannot have an unencoded payload')
  return {
    payload: checkJwtClaims(result.payload, options),
    protectedHeader: result.protectedHeader,
  }
}

async function verifyWithCandidates(
  jwt: string,
  candidates: AsyncIterable<CryptoKey>,
  options: { algorithms: string[] },
): Promise<CompactVerifyResult> {
  for await (const key of candidates) {
    try {
      return await compactVerify(jwt, key, options)
    } catch (inner) {
      if (!(inner instanceof joseErrors.JWSSignatureVerificationFailed)) throw inner
    }
  }
  throw new joseErrors.JWSSignatureVerificationFailed()
}

/** Each key as a one-key set, for trying the candidates of a token that names no `kid`. */
const singleKeySets = new WeakMap<object, JSONWebKeySet>()

/**
 * Verifies the signature of the JWT in a token endpoint response that oauth4webapi has processed
 * (`validateApplicationLevelSignature`), with keys from openrp's cache: an unknown key triggers
 * the cache's one refetch, and a token that names no `kid` while several keys fit is tried
 * against each. oauth4webapi never fetches the JWKS itself here. Throws `JWT_SIGNATURE_INVALID`
 * or `JWKS_NO_MATCHING_KEY`.
 */
export async function verifyResponseSignature(
  core: ClientCore,
  response: Response,
  signal?: AbortSignal,
): Promise<void> {
  const attempt = async (set: LoadedJwks) => {
    try {
      await verifyWithSet(core, response, set.jwks)
    } catch (error) {
      const candidates = keyCandidates(error)
      if (candidates !== undefined && candidates.length > 1)
        return verifyWithEach(core, response, candidates)
      throw error
    }
  }
  try {
    await withKeySet(core.jwks, signal, attempt, (error) => keyCandidates(error) !== undefined)
  } catch (error) {
    if (keyCandidates(error) === undefined) throw error
    throw new ValidationError('JWKS_NO_MATCHING_KEY', 'No key of the provider fits the JWT', {
      cause: error,
    })
  }
}

async function verifyWithEach(
  core: ClientCore,
  response: Response,
  candidates: object[],
): Promise<void> {
  for (const key of candidates) {
    let single = singleKeySets.get(key)
    if (!single) {
      single = { keys: [key as JWK] }
      singleKeySets.set(key, single)
    }
    try {
      return await verifyWithSet(core, response, single)
    } catch (error) {
      if (!(error instanceof ValidationError && error.code === 'JWT_SIGNATURE_INVALID')) throw error
    }
  }
  throw new ValidationError('JWT_SIGNATURE_INVALID', 'No key of the provider verifies the JWT')
}

/**
 * oauth4webapi caches a key set per metadata object; giving it one metadata object per key set
 * of ours makes our set the one it uses (it takes it from `jwksCache` when it has none for that
 * object, and keeps it up to five minutes), while it keeps the imported CryptoKeys.
 */
const metadataPerSet = new WeakMap<JSONWebKeySet, oauth.AuthorizationServer>()

function metadataFor(core: ClientCore, jwks: JSONWebKeySet): oauth.AuthorizationServer {
  let metadata = metadataPerSet.get(jwks)
  if (!metadata) {
    metadata = { ...core.metadata }
    metadataPerSet.set(jwks, metadata)
  }
  return metadata
}

const refuseFetch = () =>
  Promise.reject(new Error('the JWKS comes from openrp\u2019s cache, never from a fetch here'))

async function verifyWithSet(
  core: ClientCore,
  response: Response,
  jwks: JSONWebKeySet,
): Promise<void> {
  try {
    await oauth.validateApplicationLevelSignature(metadataFor(core, jwks), response, {
      [oauth.jwksCache]: { jwks: jwks as oauth.JWKS, uat: Math.floor(Date.now() / 1000) },
      [oauth.customFetch]: refuseFetch,
    })
  } catch (error) {
    if (
      error instanceof oauth.OperationProcessingError &&
      (error.cause as { signature?: unknown } | undefined)?.signature !== undefined
    )
      throw new ValidationError('JWT_SIGNATURE_INVALID', 'The JWT signature is not valid', {
        cause: error,
      })
    throw error
  }
}

/** The keys oauth4webapi found fitting when it could not pick one, else `undefined`. */
function keyCandidates(error: unknown): object[] | undefined {
  if (!(error instanceof oauth.OperationProcessingError) || error.code !== oauth.KEY_SELECTION)
    return undefined
  const candidates = (error.cause as { candidates?: unknown } | undefined)?.candidates
  return Array.isArray(candidates) ? candidates : undefined
}
