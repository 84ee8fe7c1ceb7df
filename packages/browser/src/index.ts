// Single-page apps: createSpaClient and its callback pages.
export { createSpaClient, SpaClient } from './spa-client.ts'
export type {
  LoginOptions,
  LogoutOptions,
  RedirectCallbackResult,
  RedirectLoginOptions,
  SpaClientInit,
  SpaClientOptions,
  SpaUserinfo,
  StoreChoice,
} from './spa-options.ts'
export type { SpaEventName, SpaEvents } from './spa-events.ts'
export { handlePopupCallback, handleSilentCallback } from './callback.ts'
export {
  browserNavigator,
  type FrameHandle,
  type PopupHandle,
  type ReceivedMessage,
  type SpaNavigator,
} from './navigator.ts'
export type { PopupOptions } from './popup.ts'
export type { SilentRenewOptions } from './silent-renew.ts'
export { AUTHORIZATION_RESPONSE_PARAMS, stripAuthorizationResponse } from './url-cleanup.ts'
export {
  deleteDpopKeyPair,
  indexedDbDpop,
  loadDpopKeyPair,
  type SpaDpop,
} from './dpop-key.ts'
// Stores, locks and cross-tab notices for tokens.
export { IndexedDbStore, type IndexedDbStoreOptions } from './indexeddb-store.ts'
export { SessionStorageStore, type SessionStorageStoreOptions } from './session-storage-store.ts'
export { EncryptedStore, type EncryptedStoreOptions } from './encrypted-store.ts'
export { WebLocksLock, type WebLocksLockOptions } from './web-locks-lock.ts'
export { TabSync } from './tab-sync.ts'
export { pageVisibility } from './page-visibility.ts'
/** Opt-in for the legacy response types with an ID token in the redirect (see SpaClientOptions). */
export { withHybridAndImplicit } from '@openrp/core'
// TV apps: the device flow with QR code, countdown and resume (QR code loaded only when used).
export { createDeviceLogin, DeviceLogin } from './device-login.ts'
export type {
  DeviceLoginOptions,
  DeviceLoginState,
  DeviceLoginStatus,
} from './device-login-options.ts'
export { type QrRenderer, qrCodeSvg } from './device-qr.ts'
export { browserNetwork, type NetworkStatus } from './network-status.ts'
/** Opt-in for SpaClient.userinfo() (see SpaClientOptions.userinfo). */
export { type UserinfoClaims, userinfo } from '@openrp/core'
