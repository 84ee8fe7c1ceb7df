/**
 * The ID token of a token endpoint response, after oauth4webapi's `process*Response` function
 * checked its `alg` (openrp's policy, given as `id_token_signing_alg_values_supported` /
 * `id_token_signed_response_alg`), its header, its registered claims, `nonce`, `auth_time` and
 * `azp` with several audiences. What it leaves to its caller is done here, once: the signature,
 * with a key of openrp's JWKS cache (imported once per key set, {@link LoadedJwks.verificationKeys}),
 * then {@link checkIdTokenClaims}.
 *
 * The signature is checked with WebCrypto, not through oauth4webapi's
 * `validateApplicationLevelSignature`: that function reads its keys from a key set it keeps per
 * metadata object inside the module, which openrp could only steer by handing it throwaway
 * metadata objects. Here the key set is openrp's own, and so is its refetch rule.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from './client-core.ts'
import { OpenRpError, ValidationError } from './errors.ts'
import { checkIdTokenClaims, type IdTokenExpectations } from './id-token-claims.ts'
import { decodeBase64Url } from './internal/base64url.ts'
import { type LoadedJwks, withKeySet } from './jwks.ts'
import type { IdTokenClaims } from './token-set.ts'

/**
 * Verifies the signature of the processed token response's ID token, then the claim checks
 * oauth4webapi leaves to its caller. Throws ValidationError (`JWT_SIGNATURE_INVALID`,
 * `JWKS_NO_MATCHING_KEY`, `ID_TOKEN_*`).
 */
export async function checkTokenEndpointIdToken(
  core: ClientCore,
  result: oauth.TokenEndpointResponse,
  expected: IdTokenExpectations,
): Promise<IdTokenClaims> {
  const alg = await verifySignature(core, result.id_token as string, expected.signal)
  const claims = oauth.getValidatedIdTokenClaims(result) as IdTokenClaims
  // at_hash is checked against the access token of the same response, when the ID token has one.
  const expectations =
    claims.at_hash === undefined ? expected : { ...expected, accessToken: result.access_token }
  return checkIdTokenClaims(core, claims, alg, expectations)
}

const utf8 = new TextDecoder()
const encoder = new TextEncoder()

/** The header members key selection reads. */
interface JwsHeader {
  alg: string
  kid?: unknown
}

/** What {@link verifySignature} reads of a JWT header, worked out once per header text. */
interface ParsedHeader {
  header: JwsHeader
  /** The header's key id in {@link LoadedJwks.verificationKeys}. */
  id: string
  params: AlgorithmIdentifier | RsaPssParams | EcdsaParams
}

/**
 * Parsed headers by their base64url text. A provider signs its ID tokens with a few keys, so
 * their headers repeat exactly (`{"alg":"RS256","kid":"…"}`): each distinct text is decoded and
 * parsed once instead of on every token response. The parse depends on the text alone; at most
 * {@link MAX_HEADERS} are kept (then the map starts over).
 */
const HEADERS = new Map<string, ParsedHeader>()
const MAX_HEADERS = 64

function parseHeader(text: string): ParsedHeader {
  let parsed = HEADERS.get(text)
  if (parsed === undefined) {
    // oauth4webapi has decoded this header and checked its alg against openrp's policy.
    const header = JSON.parse(utf8.decode(decodeBase64Url(text))) as JwsHeader
    parsed = { header, id: keyId(header), params: verifyParams(header.alg) }
    if (HEADERS.size >= MAX_HEADERS) HEADERS.clear()
    HEADERS.set(text, parsed)
  }
  return parsed
}

/**
 * Checks the signature of `jwt` (whose header oauth4webapi has parsed and whose `alg` it checked
 * against openrp's policy) with the provider's keys and returns its `alg`. An unknown key
 * triggers the JWKS cache's one refetch; when several keys fit (no `kid`), each is tried.
 */
async function verifySignature(
  core: ClientCore,
  jwt: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  const signatureStart = jwt.lastIndexOf('.')
  const { header, id, params } = parseHeader(jwt.slice(0, jwt.indexOf('.')))
  const job: SignatureJob = {
    header,
    id,
    params,
    signature: decodeBase64Url(jwt.slice(signatureStart + 1)),
    data: encoder.encode(jwt.slice(0, signatureStart)),
  }
  // The usual case: a loaded set whose keys for this header are imported. The same check as
  // through withKeySet, without its waits; a refetch can only follow a missing key.
  const imported = core.jwks.fresh()?.verificationKeys?.get(id)
  if (Array.isArray(imported)) await verifyWithKeys(imported, job)
  else await withKeySet(core.jwks, signal, verifyWithSet, isNoKey, job)
  return header.alg
}

/** One signature check of {@link verifySignature} against one key set. */
interface SignatureJob extends ParsedHeader {
  signature: Uint8Array<ArrayBuffer>
  data: Uint8Array<ArrayBuffer>
}

async function verifyWithSet(set: LoadedJwks, job: SignatureJob): Promise<void> {
  const keys = await verificationKeys(set, job)
  if (keys.length === 0)
    throw new ValidationError('JWKS_NO_MATCHING_KEY', 'No key of the provider fits the JWT')
  return verifyWithKeys(keys, job)
}

/** Passes when one of `keys` (not empty) verifies the signature; else `JWT_SIGNATURE_INVALID`. */
async function verifyWithKeys(keys: CryptoKey[], job: SignatureJob): Promise<void> {
  for (const key of keys) {
    if (await crypto.subtle.verify(job.params, key, job.signature, job.data)) return
  }
  throw new ValidationError('JWT_SIGNATURE_INVALID', 'The JWT signature is not valid')
}

function isNoKey(error: unknown): boolean {
  return error instanceof ValidationError && error.code === 'JWKS_NO_MATCHING_KEY'
}

/** The JWK members a verification key is chosen and imported by. */
interface JwkMembers {
  kty?: unknown
  kid?: unknown
  alg?: unknown
  use?: unknown
  key_ops?: unknown
  crv?: unknown
  ext?: unknown
  [member: string]: unknown
}

/** The {@link LoadedJwks.verificationKeys} entry of a JWT header: its `alg` and `kid`. */
function keyId({ alg, kid }: JwsHeader): string {
  return `${alg} ${typeof kid === 'string' ? `s${kid}` : `j${JSON.stringify(kid) ?? ''}`}`
}

/**
 * The keys of `set` that may verify a JWT with this header, imported once per key set, `alg`
 * and `kid` (an empty result is not kept: unknown kids do not fill the cache). Once imported,
 * the entry holds the keys themselves, so later tokens need not wait for a promise.
 */
async function verificationKeys(set: LoadedJwks, job: SignatureJob): Promise<CryptoKey[]> {
  const { id, header } = job
  set.verificationKeys ??= new Map()
  const cache = set.verificationKeys
  const cached = cache.get(id)
  if (cached !== undefined) return cached
  const importing = importKeys(set.jwks.keys as JwkMembers[], header.alg, header.kid)
  cache.set(id, importing)
  const keys = await importing
  // Another import may have replaced this one meanwhile; only this one's entry is settled here.
  if (cache.get(id) === importing) {
    if (keys.length === 0) cache.delete(id)
    else cache.set(id, keys)
  }
  return keys
}

/**
 * The keys that may verify a JWT of `alg` naming `kid` (RFC 7517 §4: `kty` of the alg, `kid`
 * when the JWT names one, `alg`, `use` and `key_ops` when the key names them, the curve of the
 * alg). Keys that cannot be imported are left out (and RSA keys under 2048 bits are not in the
 * set: `jwks.ts`).
 */
async function importKeys(jwks: JwkMembers[], alg: string, kid: unknown): Promise<CryptoKey[]> {
  const keys: CryptoKey[] = []
  for (const jwk of jwks) {
    if (!fits(jwk, alg, kid)) continue
    const key = await importKey(jwk, alg)
    if (key) keys.push(key)
  }
  return keys
}

const KTY: Record<string, string> = { RS: 'RSA', PS: 'RSA', ES: 'EC', Ed: 'OKP' }
const CURVE: Record<string, string> = {
  ES256: 'P-256',
  ES384: 'P-384',
  ES512: 'P-521',
  EdDSA: 'Ed25519',
  Ed25519: 'Ed25519',
}

function fits(jwk: JwkMembers, alg: string, kid: unknown): boolean {
  // The JWKS cache keeps JSON objects only.
  if (jwk.kty !== KTY[alg.slice(0, 2)]) return false
  if (kid !== undefined && jwk.kid !== kid) return false
  if (jwk.alg !== undefined && jwk.alg !== alg) return false
  if (jwk.use !== undefined && jwk.use !== 'sig') return false
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return false
  const curve = CURVE[alg]
  return curve === undefined || jwk.crv === curve
}

/** The WebCrypto key of `jwk` for `alg`; `undefined` when it cannot be used. */
async function importKey(jwk: JwkMembers, alg: string): Promise<CryptoKey | undefined> {
  const { ext, key_ops, use, ...material } = jwk
  try {
    // RSA keys under 2048 bits never reach here: the JWKS cache leaves them out.
    return await crypto.subtle.importKey('jwk', material as JsonWebKey, importParams(alg), false, [
      'verify',
    ])
  } catch {
    return undefined
  }
}

function sha(alg: string): string {
  return `SHA-${alg.slice(-3)}`
}

function importParams(
  alg: string,
): AlgorithmIdentifier | RsaHashedImportParams | EcKeyImportParams {
  switch (alg.slice(0, 2)) {
    case 'RS':
      return { name: 'RSASSA-PKCS1-v1_5', hash: sha(alg) }
    case 'PS':
      return { name: 'RSA-PSS', hash: sha(alg) }
    case 'ES':
      return { name: 'ECDSA', namedCurve: CURVE[alg] as string }
    default:
      return 'Ed25519'
  }
}

/**
 * The WebCrypto verification parameters of `alg` (worked out once per header text, with it).
 * oauth4webapi has checked `alg` against the policy, which may still name one WebCrypto has no
 * verification for: then `UNSUPPORTED`.
 */
function verifyParams(alg: string): AlgorithmIdentifier | RsaPssParams | EcdsaParams {
  if (/^(RS|PS|ES)(256|384|512)$/.test(alg)) {
    if (alg.startsWith('RS')) return { name: 'RSASSA-PKCS1-v1_5' }
    if (alg.startsWith('PS')) return { name: 'RSA-PSS', saltLength: Number(alg.slice(2)) / 8 }
    return { name: 'ECDSA', hash: sha(alg) }
  }
  if (alg === 'EdDSA' || alg === 'Ed25519') return 'Ed25519'
  throw new OpenRpError('UNSUPPORTED', `openrp cannot verify ${alg} signatures`)
}
