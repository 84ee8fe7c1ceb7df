/**
 * Login transactions (PKCE verifier, nonce, state, where to go afterwards) between the redirect
 * to the provider and its answer. Kept in sessionStorage, keyed by `state`, and removed the
 * moment they are taken: a replayed or unknown `state` finds nothing and is refused. Each names
 * the issuer it was started with: another issuer's client (same clientId, another tenant) is
 * refused it and leaves it for its own.
 *
 * An abandoned login (the user went back from the provider, or closed its page) is never taken:
 * an index of the pending states of this client and issuer (storage cannot list its keys) lets
 * each later save or take remove the ones past their lifetime.
 *
 * @module
 */
import { type Clock, StoreError, systemClock, ValidationError } from '@openrp/core'

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
/** No `openrp.tx.` key (no state, whatever the namespace) can be an index. */
const INDEX_PREFIX = 'openrp.tx-index.'

/** Pending logins in a Storage (sessionStorage: per tab, gone when the tab closes). */
export class TransactionStore {
  readonly #storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>
  readonly #prefix: string
  readonly #issuer: string | undefined
  /** Key of the index: `[state, createdAt]` of each pending login of this client and issuer. */
  readonly #indexKey: string
  readonly #clock: Pick<Clock, 'now'>

  /**
   * `issuer`: whose pending logins these are; others' are refused and left in place. `clock`
   * tells when a pending login is past {@link TRANSACTION_TTL_MS}.
   */
  constructor(
    storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>,
    namespace = '',
    issuer?: string,
    clock: Pick<Clock, 'now'> = systemClock,
  ) {
    this.#storage = storage
    this.#prefix = `${PREFIX}${namespace}${namespace ? '.' : ''}`
    this.#issuer = issuer
    this.#indexKey = `${INDEX_PREFIX}${namespace}@${issuer ?? ''}`
    this.#clock = clock
  }

  /**
   * Keeps `pending` under `state`, after removing this client's pending logins past their
   * lifetime. Throws StoreError when storage refuses (quota, disabled).
   */
  save(state: string, pending: PendingLogin): void {
    // First: what the abandoned ones took is free for this one.
    this.#index(state, pending.createdAt)
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
   * another mode); what was refused stays in storage. Once taken, this client's pending logins
   * past their lifetime are removed too.
   */
  take(state: string | null | undefined, mode?: LoginMode): PendingLogin {
    if (!state) {
      throw new ValidationError('STATE_MISSING', 'The authorization response carries no state')
    }
    const key = this.#prefix + state
    try {
      const pending = this.#usable(this.#storage.getItem(key), mode)
      this.#storage.removeItem(key)
      this.#index(state)
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
    this.#index(state)
  }

  /**
   * Removes the pending logins of the index that are past their lifetime (refused anyway), then
   * records `state` as created at `createdAt`, or forgets it when there is none. Storage failures
   * are ignored: the index only serves this clean-up, and must not fail a login.
   */
  #index(state: string, createdAt?: number): void {
    try {
      const index = parseIndex(this.#storage.getItem(this.#indexKey))
      const now = this.#clock.now()
      for (const [pending, at] of index) {
        if (now - at > TRANSACTION_TTL_MS) {
          this.#storage.removeItem(this.#prefix + pending)
          index.delete(pending)
        }
      }
      if (createdAt === undefined) index.delete(state)
      else index.set(state, createdAt)
      if (index.size > 0) this.#storage.setItem(this.#indexKey, JSON.stringify([...index]))
      else this.#storage.removeItem(this.#indexKey)
    } catch {
      // A login that is not indexed is merely not cleaned up after its lifetime.
    }
  }

  /** The stored login, if it is this issuer's, unexpired and of `mode`; else `STATE_MISMATCH`. */
  #usable(raw: string | null, mode: LoginMode | undefined): PendingLogin {
    const pending = usable(raw, mode, this.#clock.now())
    if (pending.issuer !== undefined && pending.issuer !== this.#issuer) {
      throw new ValidationError('STATE_MISMATCH', 'This response belongs to another issuer')
    }
    return pending
  }
}

/** The stored login, if it is unexpired and of `mode`; otherwise `STATE_MISMATCH`. */
function usable(raw: string | null, mode: LoginMode | undefined, now: number): PendingLogin {
  const pending = parse(raw)
  if (!pending) {
    throw new ValidationError(
      'STATE_MISMATCH',
      'No login is waiting for this response (unknown or already used state)',
    )
  }
  if (now - pending.createdAt > TRANSACTION_TTL_MS) {
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

/** The index as kept (`[state, createdAt]` pairs); anything else counts as empty. */
function parseIndex(raw: string | null): Map<string, number> {
  try {
    const entries: unknown = JSON.parse(raw ?? '[]')
    if (
      Array.isArray(entries) &&
      entries.every(([state, at]) => typeof state === 'string' && typeof at === 'number')
    )
      return new Map(entries)
  } catch {
    // Not JSON, or a pair that is no pair: as if there were no index.
  }
  return new Map()
}
