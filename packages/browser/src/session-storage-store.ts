/**
 * A {@link Store} on `sessionStorage`: one tab, gone when the tab closes.
 *
 * @module
 */
import { type Clock, StoreError, type Store, type StoreSetOptions, systemClock } from '@openrp/core'
import { parseStoredJson } from '@openrp/core/adapters'
import { type Envelope, openEnvelope, sealEnvelope } from './internal/envelope.ts'
import { claimTab } from './internal/tab-copy.ts'

/** Options of {@link SessionStorageStore}. */
export interface SessionStorageStoreOptions {
  /** Prepended to every key (default `openrp:`). */
  prefix?: string
  /** The Web Storage area (default `sessionStorage`; `localStorage` also works). */
  storage?: Storage
  /** Clock in epoch milliseconds (tests). Defaults to `Date.now`. */
  now?: () => number
  /**
   * Whether a copy of this tab's storage (a duplicated tab, a page opened with `window.open`
   * without `noopener`) is told from the tab that wrote it, and then drops the refresh tokens it
   * copied (see {@link SessionStorageStore}). Default: on for `sessionStorage`, off for a
   * `storage` you pass (e.g. `localStorage`, which every tab shares).
   */
  detectCopies?: boolean
  /** Clock of the wait for another tab's answer (tests). Defaults to `systemClock`. */
  clock?: Clock
}

/**
 * Keeps JSON values in `sessionStorage` under `prefix + key`. Each tab has its own session
 * storage, so tokens stay in one tab and end with it: use it when tabs should not share a
 * session. TTL aware (checked on read).
 *
 * A duplicated tab, or a page opened with `window.open` without `noopener`, starts with a copy
 * of its opener's sessionStorage: the same refresh token in two tabs. With rotation, the first
 * tab to refresh makes the other's copy a reused token, and a provider with reuse detection then
 * revokes the whole family, ending both tabs' sessions. So the store keeps a tab id beside the
 * values (under `prefix + '#tab'`), and before its first read or write asks the other tabs, over
 * a BroadcastChannel, whether one of them holds the same id (waiting up to 100 ms when none
 * answers, e.g. after a reload). A tab that hears "yes" holds a copy: it takes a new id and drops
 * every `refreshToken` it copied, keeping the access and ID tokens. Its session goes on until
 * the access token is due, then renews on its own (a SpaClient renews silently, in a hidden
 * iframe, unless `silent: false`), and the tab it was copied from keeps its refresh token, its
 * session untouched. No Web Lock is held (that would keep the page out of the back/forward
 * cache). Turn it off with `detectCopies: false`.
 *
 * Failures (storage disabled, quota exceeded) reject with `StoreError`; the previous value stays
 * (a failed `setItem` changes nothing). A value this store did not write gives `StoreError`.
 *
 * @example
 * ```ts
 * import { SessionStorageStore } from '@openrp/browser'
 * const store = new SessionStorageStore({ prefix: 'my-app:' })
 * ```
 */
export class SessionStorageStore implements Store {
  declare readonly prefix: string // assigned by the constructor
  readonly #storage: Storage | undefined
  readonly #now: () => number
  readonly #detectCopies: boolean
  readonly #clock: Clock
  /** Settles once whether this tab's storage is a copy (and drops its refresh tokens if so). */
  #claimed: Promise<void> | undefined

  constructor(options: SessionStorageStoreOptions = {}) {
    this.prefix = options.prefix ?? 'openrp:'
    this.#storage = options.storage
    this.#now = options.now ?? Date.now
    this.#detectCopies = options.detectCopies ?? options.storage === undefined
    this.#clock = options.clock ?? systemClock
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    await this.#claim()
    const text = this.#run('read', (storage) => storage.getItem(this.prefix + key))
    if (text === null) return undefined
    const stored = parseStoredJson(text, 'SessionStorageStore')
    const value = openEnvelope<T>(stored, this.#now(), 'SessionStorageStore')
    if (value === undefined) await this.delete(key)
    return value
  }

  async set(key: string, value: unknown, options: StoreSetOptions = {}): Promise<void> {
    await this.#claim()
    const envelope = sealEnvelope(value, options.ttlSec, this.#now())
    this.#run('write', (storage) => storage.setItem(this.prefix + key, JSON.stringify(envelope)))
  }

  async delete(key: string): Promise<void> {
    await this.#claim()
    this.#run('delete', (storage) => storage.removeItem(this.prefix + key))
  }

  #claim(): Promise<void> {
    this.#claimed ??= this.#detectCopies ? this.#claimTab() : Promise.resolve()
    return this.#claimed
  }

  async #claimTab(): Promise<void> {
    try {
      const storage = this.#area()
      const tab = `${this.prefix}#tab`
      if (await claimTab(storage, tab, this.#clock)) dropRefreshTokens(storage, this.prefix)
    } catch {
      // Storage that refuses (disabled, full) fails the store's own calls, with StoreError.
    }
  }

  /** The Web Storage area; reading `sessionStorage` itself throws where storage is disabled. */
  #area(): Storage {
    const storage = this.#storage ?? globalThis.sessionStorage
    if (!storage) throw new Error('sessionStorage is not available')
    return storage
  }

  #run<T>(what: string, fn: (storage: Storage) => T): T {
    try {
      return fn(this.#area())
    } catch (cause) {
      const name = cause instanceof Error ? cause.name : 'unknown error'
      throw new StoreError(`SessionStorageStore could not ${what} (${name})`, { cause })
    }
  }
}

/** Removes `refreshToken` from every value under `prefix`: they belong to the tab copied from. */
function dropRefreshTokens(storage: Storage, prefix: string): void {
  for (let i = 0; i < storage.length; i++) {
    const name = storage.key(i)!
    if (!name.startsWith(prefix)) continue
    try {
      const envelope = JSON.parse(storage.getItem(name)!) as Envelope
      const value = JSON.parse(envelope.j) as { refreshToken?: unknown }
      if (value?.refreshToken === undefined) continue
      delete value.refreshToken
      storage.setItem(name, JSON.stringify({ ...envelope, j: JSON.stringify(value) }))
    } catch {
      // Not a value of this store (the tab id, another app's item): nothing to drop.
    }
  }
}
