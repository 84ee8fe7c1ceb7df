/**
 * What the stores test page exposes as `window.stores` (types only, shared with the spec): the
 * browser adapters of @openrp/browser (IndexedDbStore, WebLocksLock, TabSync, pageVisibility)
 * driven one call at a time, with what they did recorded in the page.
 */
import type { Outcome } from './core-api.ts'

/** IndexedDbStore options; the page keeps one store per distinct config. */
export interface IdbConfig {
  database?: string
  objectStore?: string
  prefix?: string
}

/** Values with no JSON form. */
export type NonJsonKind = 'bigint' | 'function' | 'circular' | 'undefined' | 'symbol'

/** One `withLock` call as the page saw it; times are epoch ms (sub-ms, comparable across tabs). */
export interface LockRun {
  /** Whether the critical section started. */
  ran: boolean
  calledAt: number
  settledAt: number
  enteredAt?: number
  exitedAt?: number
  outcome: Outcome<{ result: string }>
}

export interface LockRunOptions {
  /** How long the critical section lasts. */
  holdMs: number
  timeoutMs?: number
  /** Wall-clock moment (epoch ms) to call `withLock`, so several tabs can start together. */
  atMs?: number
  /** The critical section throws (a plain Error named `HolderFailure`) instead of returning. */
  fail?: boolean
}

export interface StoresPage {
  idbSet(config: IdbConfig, key: string, value: unknown, ttlSec?: number): Promise<Outcome<object>>
  idbSetNonJson(config: IdbConfig, key: string, kind: NonJsonKind): Promise<Outcome<object>>
  /** `present` tells a stored `null` from nothing (Playwright maps undefined to undefined). */
  idbGet(config: IdbConfig, key: string): Promise<Outcome<{ present: boolean; value: unknown }>>
  idbDelete(config: IdbConfig, key: string): Promise<Outcome<object>>
  /**
   * Reads `key` and, before that read's answer is handled, writes `value` through another store
   * instance (another tab's); then reads `key` once more. Both reads' outcomes.
   */
  idbReadWhileOtherWrites(
    config: IdbConfig,
    key: string,
    value: unknown,
  ): Promise<Outcome<{ first: unknown; after: unknown }>>
  /** Reads `key`, mutates what it got, reads again: the second read must be untouched. */
  idbReadIsCopy(config: IdbConfig, key: string): Promise<{ first: unknown; second: unknown }>
  /** `indexedDB.databases()` names. */
  databases(): Promise<string[]>
  /** Every key and raw value of one object store, read with the IndexedDB API directly. */
  rawEntries(database: string, objectStore: string): Promise<Array<{ key: string; value: unknown }>>
  /** Starts `indexedDB.deleteDatabase(name)`; resolves with how it went within `waitMs`. */
  deleteDatabase(name: string, waitMs: number): Promise<'deleted' | 'blocked' | 'error'>

  /** One `WebLocksLock.withLock(name, ...)` with the given prefix (default `e2e:`). */
  lockRun(name: string, options: LockRunOptions): Promise<LockRun>
  /** Several concurrent `withLock` calls from this tab, all started at `atMs`. */
  lockRunMany(name: string, count: number, options: LockRunOptions): Promise<LockRun[]>
  /** `navigator.locks.query()`: names held and pending across the origin. */
  lockQuery(): Promise<{ held: string[]; pending: string[] }>
  /** Whether this page has a Web Locks API at all. */
  hasWebLocks(): boolean

  /** A TabSync on `name` recording what it delivers, plus a raw BroadcastChannel probe on it. */
  syncOpen(name: string): void
  /** `TabSync.publish(message)`; an exception is reported, not thrown. */
  syncPublish(message: unknown): Outcome<object>
  /** Posts `message` on the raw probe channel, bypassing TabSync. */
  probePost(message: unknown): void
  /** What the TabSync listener and the raw probe have received so far. */
  syncReceived(): { tabSync: unknown[]; probe: unknown[] }
  syncClose(): void

  /** Subscribes to `pageVisibility().onChange`, recording every reported value. */
  visibilityWatch(): void
  visibility(): { isVisible: boolean; documentState: DocumentVisibilityState; changes: boolean[] }
  visibilityUnwatch(): void
}

declare global {
  interface Window {
    stores: StoresPage
  }
}
