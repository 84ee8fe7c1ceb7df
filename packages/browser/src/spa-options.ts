/**
 * Options of {@link createSpaClient}.
 *
 * @module
 */
import type { Clock, ClientCore, Lock, ResponseType, ServerMetadata, Store } from '@openrp/core'
import type { indexedDbDpop, SpaDpop } from './dpop-key.ts'
import type { SpaNavigator } from './navigator.ts'
import type { PopupOptions } from './popup.ts'
import type { SessionStorageStore } from './session-storage-store.ts'
import type { SilentRenewOptions } from './silent-renew.ts'
import type { SpaUserinfo } from './spa-userinfo.ts'

/**
 * Where the SPA keeps its tokens.
 *
 * - `'encrypted-indexeddb'` (recommended): IndexedDB, encrypted with AES-GCM under a
 *   non-extractable key. Survives reloads and is shared by tabs; a copied database file or a
 *   browser-extension dump shows ciphertext only.
 * - `'indexeddb'`: IndexedDB in clear; survives reloads, shared by tabs.
 * - `'session'`: sessionStorage; this tab only, gone when it closes (no cross-tab login). A
 *   duplicated tab (or a page opened with `window.open` without `noopener`) starts with a copy
 *   of it: the copy keeps the access and ID tokens but drops the refresh token, which stays the
 *   original tab's, and renews on its own (silently, unless `silent: false`). See
 *   {@link SessionStorageStore}.
 * - `'memory'`: this page only, gone on reload (the user signs in again).
 * - any {@link Store}.
 *
 * No choice protects tokens from script running in the page (XSS); DPoP makes stolen tokens
 * useless elsewhere.
 */
export type StoreChoice = 'memory' | 'session' | 'indexeddb' | 'encrypted-indexeddb' | Store

/** Options of {@link createSpaClient}. */
export interface SpaClientOptions {
  /** The provider's issuer identifier; its metadata is discovered. Give this or `metadata`. */
  issuer?: string | URL
  /** Static provider metadata (no discovery request). */
  metadata?: ServerMetadata
  clientId: string
  /** Where the provider sends redirect logins back (the page calling handleRedirectCallback). */
  redirectUri: string
  /** The page calling handlePopupCallback (default: `popup-callback.html` next to redirectUri). */
  popupRedirectUri?: string
  /** The page calling handleSilentCallback (default: `silent-callback.html` next to redirectUri). */
  silentRedirectUri?: string
  /** Where the provider sends the user after logout. */
  postLogoutRedirectUri?: string
  /** Post-logout targets `logout({ returnTo })` may name (default: `[postLogoutRedirectUri]`). */
  allowedPostLogoutRedirectUris?: string[]
  /**
   * Paths `loginWithRedirect({ returnTo })` may name: exact paths, or prefixes ending in `/`.
   * Default: any path on this origin. Other origins are always refused.
   */
  allowedReturnTo?: string[]
  /** Default `'openid profile email offline_access'`. */
  scope?: string
  /** Default response type of loginWithRedirect / loginWithPopup (default `'code'`). */
  responseType?: ResponseType
  /** Default `'encrypted-indexeddb'` where IndexedDB exists, else `'memory'`. See {@link StoreChoice}. */
  store?: StoreChoice
  /**
   * `'tab'` when every tab has a store of its own (sessionStorage, memory): a logout in another
   * tab then also deletes this tab's session, while another tab's expired session (its refresh
   * token refused) leaves this one's alone. Default: `'tab'` for the `'session'` and
   * `'memory'` choices, else `'shared'` (IndexedDB: one session for all tabs). Give it with a
   * Store instance of your own that is per tab.
   */
  storeScope?: 'shared' | 'tab'
  /**
   * Key of the session in the store (default `openrp:<clientId>@<issuer>`: one per issuer, so
   * a multi-tenant app's clients of one clientId keep their sessions apart); `TokenManager`'s
   * `storageKey`. A session kept by an earlier version under `openrp:<clientId>` moves to the
   * default key when its ID token is this issuer's.
   */
  storageKey?: string
  /**
   * Bind tokens to a DPoP key (RFC 9449): a {@link SpaDpop} such as `indexedDbDpop()`, or `true`
   * for that one (a non-extractable ES256 key kept in IndexedDB). Default off.
   */
  dpop?: boolean | SpaDpop
  /**
   * `withHybridAndImplicit` from @openrp/core, for the legacy response types with an ID token
   * in the redirect (`code id_token`, `code id_token token`, `id_token`, `id_token token`).
   * Without it those are refused before the redirect (`UNSUPPORTED`), and the bundle carries no
   * jose: the code flow verifies ID tokens through oauth4webapi.
   */
  hybridAndImplicit?: (core: ClientCore) => ClientCore
  /**
   * {@link spaUserinfo} from @openrp/browser, which turns on {@link SpaClient.userinfo}: the
   * user's claims from the provider's UserInfo endpoint (core's userinfo call, with its `sub`
   * check), fetched again at every login and merged into what `getUser()` returns. Conformant
   * providers put profile claims (name, email...) there, not in the ID token of the code flow.
   * Without it, `spa.userinfo()` is refused (`UNSUPPORTED`) and the bundle carries none of it.
   */
  userinfo?: SpaUserinfo
  /** Cross-tab lock (default: WebLocksLock where the Web Locks API exists, else in-page). */
  lock?: Lock
  popup?: PopupOptions
  /** Hidden-iframe renewal when there is no refresh token; `false` turns it off. */
  silent?: SilentRenewOptions | false
  /** Renew tokens this many seconds before they expire (default 60); as in `TokenManager`. */
  refreshSkewSec?: number
  /** @deprecated Use `refreshSkewSec` (same meaning); kept for one release. */
  skewSec?: number
  /**
   * Renew ahead of expiry on a timer, paused while the page is hidden (default true); as in
   * `TokenManager`.
   */
  autoRefresh?: boolean
  /** @deprecated Use `autoRefresh` (same meaning); kept for one release. */
  proactiveRefresh?: boolean
  /** Allowed clock difference with the provider, seconds (default 30). */
  clockToleranceSec?: number
  /** Timeout of each request to the provider, ms (default 30 000). */
  timeoutMs?: number
  /**
   * Where time comes from (default: the system clock): token expiry and the renewal timer,
   * request timeouts, the popup's closed check and `timeoutMs`, the silent-renewal timeout, the
   * lifetime of a pending login. Tests pass a clock they move by hand instead of waiting.
   *
   * @example
   * ```ts
   * import { type Clock, systemClock } from '@openrp/core'
   *
   * // The app's time, five minutes ahead of this device's (a device clock known to lag).
   * const ahead: Clock = { ...systemClock, now: () => Date.now() + 300_000 }
   * const spa = createSpaClient({ issuer, clientId: 'spa', redirectUri, clock: ahead })
   * ```
   */
  clock?: Clock
  /** The browser environment (default: {@link browserNavigator} over `window`). */
  navigator?: SpaNavigator
  /** A fetch implementation (default `globalThis.fetch`). */
  fetch?: typeof fetch
}

/**
 * Options of the {@link SpaClient} constructor: {@link SpaClientOptions} with the store, the
 * lock and DPoP as instances. `store` and `dpop` mean the same as there (a Store; a SpaDpop),
 * without the shorthands (`'indexeddb'`, `true`) that would pull their code into the bundle.
 * Nothing is picked by default, so a bundle holds only the ones named here.
 */
export interface SpaClientInit extends Omit<SpaClientOptions, 'store' | 'lock' | 'dpop'> {
  store: Store
  lock: Lock
  /** DPoP, e.g. {@link indexedDbDpop}`()` (what `dpop: true` means to createSpaClient). */
  dpop?: SpaDpop
}

/** Options of {@link SpaClient.loginWithRedirect} and {@link SpaClient.loginWithPopup}. */
export interface LoginOptions {
  /** Overrides the client's `responseType` (hybrid and implicit are for legacy providers). */
  responseType?: ResponseType
  /** e.g. `'login'` to force re-authentication, `'consent'`, `'select_account'`. */
  prompt?: string
  /** Seconds since the user's last authentication the app accepts. */
  maxAge?: number
  loginHint?: string
  scope?: string
  /** More authorization parameters (they cannot replace state, nonce, PKCE or redirect_uri). */
  extraParams?: Record<string, string>
}

/** Options of {@link SpaClient.loginWithRedirect}. */
export interface RedirectLoginOptions extends LoginOptions {
  /**
   * Path of this app to return to after login (checked against `allowedReturnTo`; refused with
   * `REDIRECT_NOT_ALLOWED`). Default: the current page, or `/` when the current page is not an
   * allowed target.
   */
  returnTo?: string
}

/** Options of {@link SpaClient.logout}. */
export interface LogoutOptions {
  /** Revoke the refresh and access tokens at the provider first (RFC 7009). Default true. */
  revoke?: boolean
  /** Post-logout redirect URI (must be in `allowedPostLogoutRedirectUris`). */
  returnTo?: string
  /** Clear this app's session in every tab but stay signed in at the provider. */
  localOnly?: boolean
}

/** What {@link SpaClient.handleRedirectCallback} finished. */
export interface RedirectCallbackResult {
  /** `'login'` after a login redirect, `'logout'` after the provider's post-logout redirect. */
  type: 'login' | 'logout'
  /**
   * The app path given as `returnTo` when the redirect started; after a logout, the path of the
   * post-logout page (`/` when it is not on this origin).
   */
  returnTo: string
  /** The new tokens (login only). */
  tokenSet?: import('@openrp/core').TokenSet
}
