/**
 * What the lifecycle test page exposes as `window.lifecycle` (types only, shared with the specs).
 * Each tab runs its own TokenManager on the shared IndexedDB store, Web Locks and TabSync.
 */
import type { Outcome } from './core-api.ts'
import type { TokenSummary } from './page-kit.ts'

export interface LifecycleConfig {
  issuer: string
  clientId: string
  /** Wrap the IndexedDbStore in an EncryptedStore. */
  encrypted: boolean
}

/** What one tab's TokenManager has emitted so far. */
export interface ManagerEvents {
  refreshed: number
  expired: Array<string | undefined>
  error: Array<string | undefined>
}

/** Raw IndexedDB contents of the origin, searched for the session's tokens in plaintext. */
export interface PlaintextReport {
  databases: string[]
  /** Values found in all object stores (excluding CryptoKeys). */
  values: number
  cryptoKeys: Array<{ extractable: boolean; algorithm: string; exportRefused: boolean }>
  /** Which of the session's strings appear anywhere in the raw values. */
  found: { accessToken: boolean; refreshToken: boolean; idToken: boolean; tokenField: boolean }
  /** The same search over localStorage and sessionStorage. */
  foundInWebStorage: boolean
}

export interface Lifecycle {
  /** Builds this tab's client, store, lock, tab sync and TokenManager. */
  setup(config: LifecycleConfig): Promise<void>
  /** Code + PKCE login; the callback (this page again) stores the tokens with the manager. */
  beginLogin(config: LifecycleConfig, scope: string): Promise<void>
  /** Set when the page loaded as a redirect callback. */
  callback?: Promise<Outcome<{ tokens: TokenSummary }>>
  /** Marks the stored access token as expired (writes the store directly, tells no one). */
  expireStoredToken(): Promise<void>
  /**
   * `getAccessToken()` started when the wall clock reaches `atMs` (all tabs share it); with the
   * refresh token this tab then reads from the store.
   */
  getAccessTokenAt(
    atMs: number,
  ): Promise<Outcome<{ accessToken: string; storedRefreshToken: string | undefined }>>
  /** `refresh()`: renew now, whatever the remaining life. */
  refreshNow(): Promise<Outcome<{ tokens: TokenSummary }>>
  /** The stored set as this tab reads it. */
  stored(): Promise<TokenSummary | undefined>
  events(): ManagerEvents
  /** Searches the raw IndexedDB (and web storage) for this session's tokens. */
  findPlaintext(): Promise<PlaintextReport>
}

declare global {
  interface Window {
    lifecycle: Lifecycle
  }
}
