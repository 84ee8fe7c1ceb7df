/**
 * Login transactions (PKCE verifier, nonce, state, where to go afterwards) between the redirect
 * to the provider and its answer. Kept in sessionStorage, keyed by `state`, and removed the
 * moment they are read: a replayed or unknown `state` finds nothing and is refused.
 *
 * @module
 */
import { StoreError, ValidationError } from '@openrp/core'

/** How a login (or logout) was started; the callback must finish it the same way. */
export type LoginMode = 'redirect' | 'popup' | 'silent' | 'logout'

/** What is kept for one pending login. `transaction` is core's plain-JSON AuthTransaction. */
export interface PendingLogin<T = unknown> {
  transaction: T
  mode: LoginMode
  /** App path to return to after a redirect login (already checked against allowedReturnTo). */
  returnTo?: string
  /** Epoch milliseconds. */
  createdAt: number
}

/** Pending logins older than this are refused (the user took too long or left). */
export const TRANSACTION_TTL_MS = 15 * 60 * 1000

const PREFIX = 'openrp.tx.'

/** Pending logins in a Storage (sessionStorage: per tab, gone when the tab closes). */
export class TransactionStore {
  readonly #storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>
  readonly #prefix: string

  constructor(storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>, namespace = '') {
    this.#storage = storage
    this.#prefix = `${PREFIX}${namespace}${namespace ? '.' : ''}`
  }

  /** Keeps `pending` under `state`. Throws StoreError when storage refuses (quota, disabled). */
  save(state: string, pending: PendingLogin): void {
    try {
      this.#storage.setItem(this.#prefix + state, JSON.stringify(pending))
    } catch (cause) {
      throw new StoreError('Could not keep the login transaction in sessionStorage', { cause })
    }
  }

  /**
   * Takes the pending login for `state` out of storage (it can be used once). Throws
   * ValidationError `STATE_MISSING` when the response has no state and `STATE_MISMATCH` when
   * no unexpired login is waiting for it (unknown, replayed, expired, or of another mode).
   */
  take(state: string | null | undefined, mode?: LoginMode): PendingLogin {
    if (!state) {
      throw new ValidationError('STATE_MISSING', 'The authorization response carries no state')
    }
    const key = this.#prefix + state
    let raw: string | null
    try {
      raw = this.#storage.getItem(key)
      this.#storage.removeItem(key)
    } catch (cause) {
      throw new StoreError('Could not read the login transaction from sessionStorage', { cause })
    }
    return usable(raw, mode)
  }

  /**
   * Whether an unexpired login of `mode` waits for `state`, without taking it: tells a return
   * from the provider's logout (`?state=…` alone) from an app's own `state` parameter.
   * Unreadable storage counts as nothing pending.
   */
  isPending(state: string, mode?: LoginMode): boolean {
    try {
      usable(this.#storage.getItem(this.#prefix + state), mode)
      return true
    } catch {
      return false
    }
  }

  /** Drops the pending login for `state`, if any (e.g. after a popup was closed). */
  discard(state: string): void {
    try {
      this.#storage.removeItem(this.#prefix + state)
    } catch {
      // Nothing to keep consistent: the entry is unusable either way.
    }
  }
}

/** The stored login, if it is unexpired and of `mode`; otherwise `STATE_MISMATCH`. */
function usable(raw: string | null, mode: LoginMode | undefined): PendingLogin {
  const pending = parse(raw)
  if (!pending) {
    throw new ValidationError(
      'STATE_MISMATCH',
      'No login is waiting for this response (unknown or already used state)',
    )
  }
  if (Date.now() - pending.createdAt > TRANSACTION_TTL_MS) {
    throw new ValidationError('STATE_MISMATCH', 'The login that matches this state has expired')
  }
  if (mode && pending.mode !== mode) {
    throw new ValidationError(
      'STATE_MISMATCH',
      `This response belongs to a ${pending.mode} login, not a ${mode} login`,
    )
  }
  return pending
}

function parse(raw: string | null): PendingLogin | undefined {
  if (!raw) return undefined
  try {
    const value = JSON.parse(raw) as PendingLogin
    if (typeof value !== 'object' || value === null || typeof value.createdAt !== 'number') {
      return undefined
    }
    return value
  } catch {
    return undefined
  }
}
