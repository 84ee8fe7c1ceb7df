// Stores, locks and cross-tab notices for tokens.
export { IndexedDbStore, type IndexedDbStoreOptions } from './indexeddb-store.ts'
export { SessionStorageStore, type SessionStorageStoreOptions } from './session-storage-store.ts'
export { EncryptedStore, type EncryptedStoreOptions } from './encrypted-store.ts'
export { WebLocksLock, type WebLocksLockOptions } from './web-locks-lock.ts'
export { TabSync } from './tab-sync.ts'
export { pageVisibility } from './page-visibility.ts'
