/**
 * What the core test page exposes as `window.coreSuite` (types only, shared with the specs).
 */
import type { ErrorOutcome, TokenSummary } from './page-kit.ts'

export interface LoginOptions {
  clientId: string
  scope: string
}

export type Outcome<T> = ({ ok: true } & T) | ErrorOutcome

/** How handling a redirect callback went. */
export type CallbackOutcome = Outcome<{ tokens: TokenSummary; transactionsLeft: number }>

export interface CoreSuite {
  /** OpenID discovery from the page; the discovered metadata's main members. */
  discovery(issuer: string): Promise<Outcome<{ metadata: Record<string, unknown> }>>
  /** Client credentials from the page (a confidential client: fine for a test). */
  clientCredentials(
    issuer: string,
    options: { clientId: string; clientSecret: string; scope: string; dpop?: boolean },
  ): Promise<Outcome<{ tokens: TokenSummary; api?: { status: number; body: unknown } }>>
  /**
   * Creates a code + PKCE request, keeps its transaction in sessionStorage and navigates to the
   * provider on the next task. Resolves with the authorization URL's parameters.
   */
  beginLogin(issuer: string, options: LoginOptions): Promise<Record<string, string>>
  /** Set when the page loaded as a redirect callback: how handling it went. */
  callback?: Promise<CallbackOutcome>
  /** Refreshes the tokens the callback produced. */
  refresh(): Promise<Outcome<{ tokens: TokenSummary }>>
  /** Calls userinfo with the current access token; its `sub` must match the ID token's. */
  userinfo(): Promise<Outcome<{ claims: Record<string, unknown> }>>
  /** Handles the callback URL again (a replayed response). */
  replayCallback(): Promise<Outcome<{ tokens: TokenSummary }>>
}

declare global {
  interface Window {
    coreSuite: CoreSuite
  }
}
