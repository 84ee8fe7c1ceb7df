export { FileLock, type FileLockOptions } from './file-lock.ts'
export { FileStore, type FileStoreOptions } from './file-store.ts'
export { RedisStore, type RedisStoreOptions } from './redis-store.ts'
export { RedisLock, type RedisLockOptions } from './redis-lock.ts'
export {
  EncryptedStore,
  type EncryptedStoreKey,
  type EncryptedStoreOptions,
} from '@openrp/core'
export type {
  RedisClusterConnectionOptions,
  RedisConnectionOptions,
  RedisSentinelConnectionOptions,
} from './internal/redis-connection.ts'
export type { LocalCacheStats } from './internal/redis-local-cache.ts'
export type { RedisClient, RedisSetOptions } from './internal/redis-client.ts'
export { DependencyMissingError, type OptionalDependency } from './errors.ts'
export {
  ClientCredentialsProvider,
  type ClientCredentialsClient,
  type ClientCredentialsProviderOptions,
  type GetTokenOptions,
} from './client-credentials-provider.ts'
export {
  deviceLogin,
  DeviceLoginError,
  type DeviceLoginOptions,
  type DeviceLoginPrompt,
} from './device-login.ts'
export {
  createQrCode,
  type DeviceLoginState,
  type DeviceLoginStatus,
  type DevicePromptText,
  type DeviceQrCode,
  formatCountdown,
  formatDevicePrompt,
  formatDeviceStatus,
  type QrCodeOptions,
} from './device-prompt.ts'
export { loopbackLogin, type LoopbackLoginOptions } from './loopback-login.ts'
export {
  type LoopbackCallback,
  type LoopbackListener,
  type LoopbackListenerOptions,
  startLoopbackListener,
  type WaitForCallbackOptions,
} from './loopback-listener.ts'
export { openBrowser, type OpenBrowserOptions } from './open-browser.ts'
export { type AuthorizedFetchOptions, createAuthorizedFetch } from './authorized-fetch.ts'
export { type MtlsFetchOptions, mtlsFetch } from './mtls-fetch.ts'
export { exchangeOnBehalfOf, type OnBehalfOfOptions } from './token-exchange.ts'
export type { StatusOutput } from './internal/status-line.ts'
