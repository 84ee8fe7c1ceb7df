/** The server's signing keys (RS256 and ES256), rotation and the published JWKS. */
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWK,
} from 'jose'

export type SigningAlg = 'RS256' | 'ES256'

export interface SigningKey {
  alg: SigningAlg
  kid: string
  privateKey: CryptoKey
  publicJwk: JWK
}

/** Makes the key pair of a new signing key (`ReferenceServerOptions.generateKeyPair`). */
export type KeyPairSource = (
  alg: SigningAlg,
) => Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }>

/** A fresh key pair from WebCrypto. */
const freshKeyPair: KeyPairSource = (alg) => generateKeyPair(alg, { extractable: true })

/** Makes a key pair for `alg` (fresh by default) with its RFC 7638 thumbprint as `kid`. */
export async function generateSigningKey(
  alg: SigningAlg,
  source: KeyPairSource = freshKeyPair,
): Promise<SigningKey> {
  const { privateKey, publicKey } = await source(alg)
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  return { alg, kid, privateKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } }
}

/** Current keys per alg plus previous ones (still published until dropped). */
export class KeyRing {
  #keys: SigningKey[] = []
  readonly #source: KeyPairSource | undefined

  private constructor(source?: KeyPairSource) {
    this.#source = source
  }

  /** A ring with one key per alg, made by `source` (fresh WebCrypto pairs by default). */
  static async create(source?: KeyPairSource): Promise<KeyRing> {
    const ring = new KeyRing(source)
    await ring.rotate()
    return ring
  }

  /** Adds a new key per alg and makes it current; `dropOld` unpublishes the previous ones. */
  async rotate(options: { dropOld?: boolean } = {}): Promise<void> {
    const fresh = await Promise.all([
      generateSigningKey('RS256', this.#source),
      generateSigningKey('ES256', this.#source),
    ])
    this.#keys = options.dropOld ? fresh : [...fresh, ...this.#keys]
  }

  /** The current key for `alg`. */
  current(alg: SigningAlg = 'RS256'): SigningKey {
    const key = this.#keys.find((k) => k.alg === alg)
    if (!key) throw new Error(`no ${alg} key`)
    return key
  }

  /** The public JWKS (what /jwks serves). */
  jwks(): JSONWebKeySet {
    return { keys: this.#keys.map((k) => k.publicJwk) }
  }

  /** A key resolver for jose's `jwtVerify` over the published keys. */
  verifier(): ReturnType<typeof createLocalJWKSet> {
    return createLocalJWKSet(this.jwks())
  }
}
