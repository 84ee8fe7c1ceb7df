/**
 * The one verification of every JWT openrp checks with jose (front-channel ID tokens, signed
 * userinfo, logout tokens): jose's `jwtVerify` with the provider's keys from openrp's JWKS
 * cache (`createLocalJWKSet` over each fetched set), one algorithm policy given as `algorithms`
 * and the registered claims (`iss`, `aud`, `exp`, `nbf`, `iat`, required claims) checked by
 * jose. Its errors become openrp codes in `internal/map-error.ts` (from jose's `code` and
 * `claim`, never its messages). jose is loaded on the first verification, so an app that verifies
 * only token endpoint ID tokens (oauth4webapi) never loads it.
 *
 * @module
 */
import type { JWTHeaderParameters, JWTVerifyGetKey, JWTVerifyOptions } from 'jose'
import type { ClientCore } from './client-core.ts'
import { systemClock } from './clock.ts'
import { type LoadedJwks, withKeySet } from './jwks.ts'

type JoseVerify = Pick<typeof import('jose'), 'createLocalJWKSet' | 'errors' | 'jwtVerify'>

/** jose's verification functions, imported on the first verification and kept. */
let joseFunctions: Promise<JoseVerify> | undefined
/** The same once imported, so later verifications do not wait for the import's promise. */
let joseLoaded: JoseVerify | undefined

function joseVerify(): Promise<JoseVerify> {
  // Destructured in the callback, so bundlers keep only these functions of jose.
  joseFunctions ??= import('jose').then(({ createLocalJWKSet, errors, jwtVerify }) => {
    joseLoaded = { createLocalJWKSet, errors, jwtVerify }
    return joseLoaded
  })
  return joseFunctions
}

/** How {@link verifyJwt} checks a JWT. */
export interface JwtChecks {
  /** The algorithms the JWT may be signed with (never `none` or HMAC). */
  algorithms: string[]
  /** Claims that must be present (`iss` and `aud` always are). */
  requiredClaims?: string[]
  /** The `typ` header the JWT must carry, when one is required. */
  typ?: string
}

/**
 * Verifies `jwt` against the provider's JWKS and checks its registered claims: `iss` is the
 * provider, `aud` names this client, `exp` / `nbf` / `iat` within `clockToleranceSec`. An
 * unknown key triggers the JWKS cache's one refetch; when the header names no `kid` and several
 * keys fit, each is tried (OpenID RP test `rp-id_token-kid-absent-multiple-jwks`). Throws jose's
 * errors, for the caller to map with its context.
 */
export async function verifyJwt(
  core: ClientCore,
  jwt: string,
  checks: JwtChecks,
  signal?: AbortSignal,
): Promise<{ payload: Record<string, unknown>; protectedHeader: JWTHeaderParameters }> {
  const options: JWTVerifyOptions = {
    algorithms: checks.algorithms,
    issuer: core.metadata.issuer,
    audience: core.options.clientId,
    clockTolerance: core.options.clockToleranceSec,
    // exp / nbf / iat are judged on the client's clock (jose reads Date.now() unless told).
    ...(core.options.clock !== systemClock && { currentDate: new Date(core.options.clock.now()) }),
    requiredClaims: ['iss', 'aud', ...(checks.requiredClaims ?? [])],
    ...(checks.typ !== undefined && { typ: checks.typ }),
  }
  const jose = joseLoaded ?? (await joseVerify())
  return withKeySet(core.jwks, signal, verifyWithSet, isNoKey, { jwt, options, jose })
}

/** One verification of {@link verifyJwt} against one key set. */
interface VerifyJob {
  jwt: string
  options: JWTVerifyOptions
  jose: JoseVerify
}

async function verifyWithSet(set: LoadedJwks, { jwt, options, jose }: VerifyJob) {
  set.joseKeys ??= jose.createLocalJWKSet(set.jwks)
  const headerText = jwt.slice(0, jwt.indexOf('.'))
  const known = set.joseKeysByHeader?.get(headerText)
  // The key jose chose for this header before: given as it is, jose still checks the header
  // (alg allowed, crit), the signature and the claims.
  if (known !== undefined) return jose.jwtVerify(jwt, known, options)
  try {
    return await jose.jwtVerify(jwt, rememberKey(set, set.joseKeys, headerText), options)
  } catch (error) {
    if (!(error instanceof jose.errors.JWKSMultipleMatchingKeys)) throw error
    // jose hands the keys that fit as an async iterable on the error.
    for await (const key of error as unknown as AsyncIterable<CryptoKey>) {
      try {
        return await jose.jwtVerify(jwt, key, options)
      } catch (inner) {
        // A key jose will not verify with (a TypeError; RSA keys under 2048 bits are not even
        // in the set, see jwks.ts) verifies nothing: the next one is tried.
        if (
          !(
            inner instanceof jose.errors.JWSSignatureVerificationFailed ||
            inner instanceof TypeError
          )
        )
          throw inner
      }
    }
    throw new jose.errors.JWSSignatureVerificationFailed()
  }
}

/** How many header texts {@link LoadedJwks.joseKeysByHeader} keeps (then it starts over). */
const MAX_REMEMBERED_HEADERS = 64

/**
 * jose's key resolver over `set`, remembering the one key it picks for `headerText`. The pick
 * depends on the header alone (its `alg` and `kid`), and a provider's tokens repeat a few
 * headers exactly: later tokens with this header get the key itself, without jose searching the
 * set again. Several fitting keys are not remembered (jose throws, each is tried).
 */
function rememberKey(set: LoadedJwks, keys: JWTVerifyGetKey, headerText: string): JWTVerifyGetKey {
  return async (header, token) => {
    const key = await keys(header, token)
    set.joseKeysByHeader ??= new Map()
    if (set.joseKeysByHeader.size >= MAX_REMEMBERED_HEADERS) set.joseKeysByHeader.clear()
    set.joseKeysByHeader.set(headerText, key)
    return key
  }
}

/** Whether jose found no key for the JWT (jose is loaded by then: it threw the error). */
function isNoKey(error: unknown): boolean {
  return joseLoaded !== undefined && error instanceof joseLoaded.errors.JWKSNoMatchingKey
}
