/**
 * `@openrp/core`: an OAuth 2.0 / OpenID Connect relying party on fetch + WebCrypto.
 *
 * Use {@link Client} for everything in one object, or the standalone functions with a
 * {@link ClientCore} to bundle only what you use.
 *
 * @module
 */
export {
  AbortError,
  ERROR_CODES,
  type ErrorCode,
  HttpError,
  InteractionRequiredError,
  InvalidArgumentError,
  isOpenRpError,
  LockLostError,
  LockTimeoutError,
  NetworkError,
  OAuthError,
  type OAuthErrorCode,
  OpenRpError,
  StoreError,
  TimeoutError,
  ValidationError,
  type ValidationErrorCode,
} from './errors.ts'
export type { Unsubscribe } from './internal/events.ts'
export { type Clock, sleep, systemClock, type TimerHandle } from './clock.ts'
export type { HeadersLike, Jwk, WebCryptoKey, WebCryptoKeyPair } from './key-types.ts'
export type {
  Lock,
  LockLease,
  LockOptions,
  Store,
  StoreGetOptions,
  StoreSetOptions,
} from './store.ts'
export { MemoryStore, type MemoryStoreOptions } from './memory-store.ts'
export {
  EncryptedStore,
  type EncryptedStoreKey,
  type EncryptedStoreOptions,
} from './encrypted-store.ts'
export { InProcessLock, type InProcessLockOptions } from './in-process-lock.ts'
export {
  type BackoffPolicy,
  MAX_RETRY_AFTER_MS,
  RefreshCoordinator,
  type RefreshCoordinatorOptions,
  type RefreshFailureRecord,
  type RefreshOutcome,
  type RefreshTask,
} from './refresh-coordinator.ts'
export {
  ANSWER_TIMEOUT_MS,
  TokenManager,
  type RefreshingClient,
  type TokenChangeMessage,
  type TokenChangeNotifier,
  type TokenEventInfo,
  type TokenManagerEvents,
  type TokenManagerOptions,
  type TokenManagerPhase,
  type VisibilityHook,
} from './token-manager.ts'

export { Client, discover } from './client.ts'
export {
  type ClientCore,
  createClientCore,
  createPublicClientCore,
  type ServerMetadata,
  withHybridAndImplicit,
} from './client-core.ts'
export type { JsonObject, JsonValue, MtlsEndpointAliases } from './server-metadata.ts'
export { type DiscoveryOptions, discoverMetadata } from './discover.ts'
export {
  type ClientAuthMethod,
  type ClientOptions,
  DEFAULTS,
  type ResolvedOptions,
  type RetryOptions,
} from './options.ts'
export { type IdTokenClaims, TokenSet, type TokenSetInit, type TokenSetJSON } from './token-set.ts'
export {
  type AuthTransaction,
  assertTransaction,
  RESPONSE_TYPES,
  type ResponseMode,
  type ResponseType,
} from './transaction.ts'
export {
  type AuthorizationRequest,
  type AuthorizationRequestOptions,
  createAuthorizationRequest,
} from './authorization-request.ts'
export {
  type AuthorizationResponseInput,
  type HandleAuthorizationResponseOptions,
  handleAuthorizationResponse,
  parseAuthorizationResponse,
} from './authorization-response.ts'
export { type IdTokenExpectations, validateIdToken } from './id-token.ts'
export type { JwksCache, LoadedJwks } from './jwks.ts'
export { dpopThumbprint, withDpop } from './dpop.ts'
export { type CodeExchangeOptions, exchangeAuthorizationCode } from './grants/authorization-code.ts'
export { type RefreshOptions, refresh } from './grants/refresh.ts'
export { rotatedRefreshToken } from './rotated-refresh-token.ts'
export { type ClientCredentialsOptions, clientCredentials } from './grants/client-credentials.ts'
export {
  type DeviceAuthorization,
  type DeviceAuthorizationJSON,
  type DeviceAuthorizationOptions,
  type DevicePollOptions,
  type DevicePollProgress,
  deviceAuthorization,
  resumeDeviceAuthorization,
} from './grants/device.ts'
export { TOKEN_TYPES, type TokenExchangeOptions, tokenExchange } from './grants/token-exchange.ts'
export { type AssertionGrantOptions, jwtBearer } from './grants/jwt-bearer.ts'
export { saml2Bearer } from './grants/saml2-bearer.ts'
export { type PasswordOptions, password } from './grants/password.ts'
export { type GrantOptions, type GrantParams, grant } from './grants/generic.ts'
export { type UserinfoClaims, type UserinfoOptions, userinfo } from './userinfo.ts'
export { type IntrospectOptions, type IntrospectionResult, introspect } from './introspection.ts'
export { type RevokeOptions, revoke } from './revocation.ts'
export {
  type EndSessionOptions,
  endSessionUrl,
  validateEndSessionResponse,
} from './end-session.ts'
export { fetchProtectedResource, type ProtectedResourceInit } from './resource.ts'
export {
  type ClientMetadata,
  type ClientRegistrationHandle,
  type ClientRegistrationOptions,
  deleteClientRegistration,
  type RegisterClientOptions,
  type RegisteredClient,
  type RegisteredClientOptions,
  readClientRegistration,
  registerClient,
  toClientOptions,
  updateClientRegistration,
} from './registration.ts'
export {
  BACKCHANNEL_LOGOUT_EVENT,
  DEFAULT_LOGOUT_TOKEN_MAX_AGE_SEC,
  type LogoutTokenClaims,
  type ValidateLogoutTokenOptions,
  validateLogoutToken,
} from './logout-token.ts'
