/**
 * The SPA's DPoP key pair (RFC 9449): ES256, generated non-extractable so page scripts can sign
 * with it but nobody can read the private key out, and kept in IndexedDB (a CryptoKey is
 * structured-cloneable) so every tab and every reload proves possession with the same key.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-2
 * @module
 */
import { type ClientCore, type Lock, StoreError, withDpop } from '@openrp/core'
import { get, set, del, type UseStore } from 'idb-keyval'
import { connectedStore } from './internal/idb-connection.ts'

const DATABASE = 'openrp-dpop'
const OBJECT_STORE = 'keys'

let database: UseStore | undefined
function keyDatabase(): UseStore {
  database ??= connectedStore(DATABASE, OBJECT_STORE)
  return database
}

/**
 * The DPoP key pair stored under `name`, created on first use. With a `lock`, tabs that start
 * at the same moment agree on one key instead of overwriting each other's.
 *
 * @example
 * ```ts
 * const keyPair = await loadDpopKeyPair('openrp:spa', new WebLocksLock())
 * keyPair.privateKey.extractable // false
 * ```
 */
export async function loadDpopKeyPair(name: string, lock?: Lock): Promise<CryptoKeyPair> {
  const load = async () => {
    try {
      const existing = await get<CryptoKeyPair>(name, keyDatabase())
      if (existing?.privateKey && existing.publicKey) return existing
      const keyPair = (await crypto.subtle.generateKey(
        { name: 'ECDSA', namedCurve: 'P-256' },
        false,
        ['sign', 'verify'],
      )) as CryptoKeyPair
      await set(name, keyPair, keyDatabase())
      return keyPair
    } catch (cause) {
      throw new StoreError('Could not load or keep the DPoP key pair in IndexedDB', { cause })
    }
  }
  return lock ? lock.withLock(`openrp-dpop-key:${name}`, load) : load()
}

/** Forgets the DPoP key pair stored under `name` (the next login makes a new one). */
export async function deleteDpopKeyPair(name: string): Promise<void> {
  try {
    await del(name, keyDatabase())
  } catch (cause) {
    throw new StoreError('Could not delete the DPoP key pair from IndexedDB', { cause })
  }
}

/**
 * DPoP for a {@link SpaClient} made with `new SpaClient()`; `createSpaClient({ dpop: true })`
 * uses {@link indexedDbDpop}. Without it, the bundle carries no DPoP code.
 */
export interface SpaDpop {
  /** `core` with DPoP proofs signed by the key pair named `name` (`lock` guards its creation). */
  attach(core: ClientCore, name: string, lock: Lock): Promise<ClientCore>
}

/**
 * DPoP with the SPA's non-extractable key pair kept in IndexedDB ({@link loadDpopKeyPair}).
 *
 * @example
 * ```ts
 * const spa = new SpaClient({ ...options, store, lock, dpop: indexedDbDpop() })
 * ```
 */
export function indexedDbDpop(): SpaDpop {
  return {
    attach: async (core, name, lock) => withDpop(core, await loadDpopKeyPair(name, lock)),
  }
}
