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

/** Generates a key pair for `alg` with its RFC 7638 thumbprint as `kid`. */
export async function generateSigningKey(alg: SigningAlg): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  return { alg, kid, privateKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } }
}

/** Current keys per alg plus previous ones (still published until dropped). */
export class KeyRing {
  #keys: SigningKey[] = []

  static async create(): Promise<KeyRing> {
    const ring = new KeyRing()
    await ring.rotate()
    return ring
  }

  /** Adds a fresh key per alg and makes it current; `dropOld` unpublishes the previous ones. */
  async rotate(options: { dropOld?: boolean } = {}): Promise<void> {
    const fresh = await Promise.all([generateSigningKey('RS256'), generateSigningKey('ES256')])
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
