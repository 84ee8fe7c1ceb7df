export * from './errors.ts'
export type { Lock, LockOptions, Store, StoreSetOptions } from './store.ts'
export { MemoryStore, type MemoryStoreOptions } from './memory-store.ts'
export { DEFAULT_LOCK_TIMEOUT_MS, InProcessLock } from './in-process-lock.ts'
