export * from './errors.ts'
export type { Lock, LockOptions, Store, StoreSetOptions } from './store.ts'
export { MemoryStore, type MemoryStoreOptions } from './memory-store.ts'
export { DEFAULT_LOCK_TIMEOUT_MS, InProcessLock } from './in-process-lock.ts'
export {
  TokenManager,
  type RefreshingClient,
  type TokenChangeMessage,
  type TokenChangeNotifier,
  type TokenManagerEvents,
  type TokenManagerOptions,
  type VisibilityHook,
} from './token-manager.ts'
export { TokenSet, type TokenSetJSON } from './token-set.ts'
