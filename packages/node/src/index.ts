export { FileStore, type FileStoreOptions } from './file-store.ts'
export { RedisStore, type RedisStoreOptions } from './redis-store.ts'
export { RedisLock, type RedisLockOptions } from './redis-lock.ts'
export { EncryptedStore, type EncryptedStoreOptions } from './encrypted-store.ts'
export type { RedisClient, RedisConnectionOptions } from './internal/redis-connection.ts'
export {
  ClientCredentialsProvider,
  type ClientCredentialsClient,
  type ClientCredentialsProviderOptions,
  type GetTokenOptions,
} from './client-credentials-provider.ts'
