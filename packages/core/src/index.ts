export * from './errors.ts'
export type { Lock, LockOptions, Store, StoreSetOptions } from './store.ts'
