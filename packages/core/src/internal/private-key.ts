/**
 * The client's private key (`options.privateKey`), imported once and shared by everything that
 * signs with it: `private_key_jwt` client assertions and request objects (JAR).
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.ts'
import type { ClientOptions } from '../options.ts'

/** A private signing key and the `kid` to name in JWT headers (oauth4webapi's `PrivateKey`). */
export interface SigningKey {
  key: CryptoKey
  kid?: string
}

/**
 * A function that imports `privateKey` on first call (a JWK needs WebCrypto's async import) and
 * then returns the same key; an unusable key rejects every call with `INVALID_ARGUMENT`.
 */
export function lazySigningKey(privateKey: ClientOptions['privateKey']): () => Promise<SigningKey> {
  let key: Promise<SigningKey> | undefined
  return () => {
    key ??= importSigningKey(privateKey)
    return key
  }
}

async function importSigningKey(privateKey: ClientOptions['privateKey']): Promise<SigningKey> {
  if (typeof CryptoKey !== 'undefined' && privateKey instanceof CryptoKey)
    return { key: privateKey }
  if (typeof privateKey === 'object' && privateKey !== null && 'key' in privateKey)
    return privateKey as SigningKey
  const jwk = privateKey as JsonWebKey & { kid?: string; alg?: string }
  if (typeof jwk?.kty !== 'string' || jwk.d === undefined)
    throw new InvalidArgumentError(
      'options.privateKey must be a private CryptoKey or a private JWK',
    )
  const alg = jwk.alg ?? defaultAlg(jwk)
  try {
    const { importJWK } = await import('jose')
    const key = (await importJWK(jwk, alg)) as CryptoKey
    return jwk.kid !== undefined ? { key, kid: jwk.kid } : { key }
  } catch {
    throw new InvalidArgumentError('options.privateKey could not be imported')
  }
}

function defaultAlg(jwk: JsonWebKey): string {
  if (jwk.kty === 'EC')
    return jwk.crv === 'P-384' ? 'ES384' : jwk.crv === 'P-521' ? 'ES512' : 'ES256'
  if (jwk.kty === 'OKP') return 'EdDSA'
  return 'RS256'
}
