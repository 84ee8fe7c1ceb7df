/**
 * Turns the `store` and `lock` options of {@link createSpaClient} into instances.
 *
 * @module
 */
import {
  InProcessLock,
  InvalidArgumentError,
  type Lock,
  MemoryStore,
  type Store,
} from '@openrp/core'
import { EncryptedStore } from './encrypted-store.ts'
import { IndexedDbStore } from './indexeddb-store.ts'
import { SessionStorageStore } from './session-storage-store.ts'
import type { StoreChoice } from './spa-options.ts'
import { WebLocksLock } from './web-locks-lock.ts'

/** The Store for a {@link StoreChoice}; the default is encrypted IndexedDB where it exists. */
export function resolveStore(choice: StoreChoice | undefined): Store {
  const name = choice ?? (typeof indexedDB === 'undefined' ? 'memory' : 'encrypted-indexeddb')
  if (typeof name === 'object' && name !== null) return name
  switch (name) {
    case 'memory':
      return new MemoryStore()
    case 'session':
      return new SessionStorageStore()
    case 'indexeddb':
      return new IndexedDbStore()
    case 'encrypted-indexeddb':
      return new EncryptedStore(new IndexedDbStore())
    default:
      throw new InvalidArgumentError(
        "options.store must be 'memory', 'session', 'indexeddb', 'encrypted-indexeddb' or a Store",
      )
  }
}

/** WebLocksLock where the Web Locks API exists (every current browser), else an in-page lock. */
export function defaultLock(): Lock {
  return typeof navigator !== 'undefined' && 'locks' in navigator
    ? new WebLocksLock()
    : new InProcessLock()
}
