/**
 * Events of an {@link SpaClient}. `login`, `logout` and `refreshed` fire in every tab of the
 * app (through the cross-tab notifier), not only in the tab that caused them.
 *
 * @module
 */
import type { OpenRpError, TokenSet } from '@openrp/core'

/** Payload of each SpaClient event. */
export interface SpaEvents {
  /** A user signed in (here or in another tab). `tokenSet` is undefined for another tab's login. */
  login: { tokenSet: TokenSet | undefined; source: 'this-tab' | 'other-tab' }
  /** The session was ended (here or in another tab). */
  logout: { source: 'this-tab' | 'other-tab' }
  /** New tokens (refresh token or silent renew), here or in another tab. */
  refreshed: { tokenSet: TokenSet | undefined; source: 'this-tab' | 'other-tab' }
  /**
   * The session could not be renewed (refresh token refused, login required, a silent renewal
   * that answered for another user) and was cleared:
   * here, or in another tab (`other-tab`, also when another tab or process ended it in a shared
   * store; with a store per tab, another tab's expiry is not this tab's).
   */
  expired: { error: OpenRpError; source: 'this-tab' | 'other-tab' }
  /** Something failed in the background (proactive refresh, revocation during logout). */
  error: OpenRpError
}

/** Name of a SpaClient event. */
export type SpaEventName = keyof SpaEvents
