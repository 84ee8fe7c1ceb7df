/**
 * Login transactions (PKCE verifier, nonce, state, where to go afterwards) between the redirect
 * to the provider and its answer. Kept in sessionStorage, keyed by `state`, and removed the
 * moment they are taken: a replayed or unknown `state` finds nothing and is refused. Each names
 * the issuer it was started with: another issuer's client (same clientId, another tenant) is
 * refused it and leaves it for its own.
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
  /**
   * The issuer of the client that started it (set by {@link TransactionStore.save}). Pending
   * logins kept by earlier versions have none, and are taken by any issuer's client.
   */
  issuer?: string
}

/** Pending logins older than this are refused (the user took too long or left). */
export const TRANSACTION_TTL_MS = 15 * 60 * 1000

const PREFIX = 'openrp.tx.'

/** Pending logins in a Storage (sessionStorage: per tab, gone when the tab closes). */
export class TransactionStore {
  readonly #storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>
  readonly #prefix: string
  readonly #issuer: string | undefined

  /** `issuer`: whose pending logins these are; others' are refused and left in place. */
  constructor(
    storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>,
    namespace = '',
    issuer?: string,
  ) {
    this.#storage = storage
    this.#prefix = `${PREFIX}${namespace}${namespace ? '.' : ''}`
    this.#issuer = issuer
  }

  /** Keeps `pending` under `state`. Throws StoreError when storage refuses (quota, disabled). */
  save(state: string, pending: PendingLogin): void {
    try {
      const value: PendingLogin = { ...pending, issuer: this.#issuer }
      this.#storage.setItem(this.#prefix + state, JSON.stringify(value))
    } catch (cause) {
      throw new StoreError('Could not keep the login transaction in sessionStorage', { cause })
    }
  }

  /**
   * Takes the pending login for `state` out of storage (it can be used once). Throws
   * ValidationError `STATE_MISSING` when the response has no state and `STATE_MISMATCH` when
   * no unexpired login of this issuer is waiting for it (unknown, replayed, expired, or of
   * another mode); what was refused stays in storage.
   */
  take(state: string | null | undefined, mode?: LoginMode): PendingLogin {
    if (!state) {
      throw new ValidationError('STATE_MISSING', 'The authorization response carries no state')
    }
    const key = this.#prefix + state
    try {
      const pending = this.#usable(this.#storage.getItem(key), mode)
      this.#storage.removeItem(key)
      return pending
    } catch (cause) {
      if (cause instanceof ValidationError) throw cause
      throw new StoreError('Could not read the login transaction from sessionStorage', { cause })
    }
  }

  /**
   * Whether an unexpired login of `mode` waits for `state`, without taking it: tells a return
   * from the provider's logout (`?state=…` alone) from an app's own `state` parameter.
   * Unreadable storage counts as nothing pending.
   */
  isPending(state: string, mode?: LoginMode): boolean {
    try {
      this.#usable(this.#storage.getItem(this.#prefix + state), mode)
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

  /** The stored login, if it is this issuer's, unexpired and of `mode`; else `STATE_MISMATCH`. */
  #usable(raw: string | null, mode: LoginMode | undefined): PendingLogin {
    const pending = usable(raw, mode)
    if (pending.issuer !== undefined && pending.issuer !== this.#issuer) {
      throw new ValidationError('STATE_MISMATCH', 'This response belongs to another issuer')
    }
    return pending
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
