/**
 * The one refresh coordinator behind TokenManager (a session's refresh) and
 * ClientCredentialsProvider (a machine token per key): single flight in the process, the Lock
 * across tabs and processes, re-read after the lock, request, write only if the store still
 * holds the value the request started from. Around that frame it keeps three promises:
 *
 * - **A request already sent is never abandoned.** A caller's wait ends after `waitTimeoutMs`
 *   (`TIMEOUT`); the request goes on, still under the lock, and its answer is processed and
 *   stored when it comes. Later callers join the flight under way.
 * - **A new value is never dropped.** A store read or write that fails after the answer is
 *   retried, with backoff on the clock, while the lock is held (RedisLock renews its lease
 *   meanwhile), so siblings wait for it instead of sending the spent refresh token. Callers in
 *   this process get the new value at once.
 * - **A failure is remembered.** After a failed request, the key backs off (exponential, with
 *   jitter, at least the provider's `Retry-After` up to {@link MAX_RETRY_AFTER_MS}), for every
 *   caller in the process and, through a small record next to the value in the store, for every
 *   member of a fleet (unless the failure is this process's own, e.g. `UNSUPPORTED`). Meanwhile
 *   callers get the stored value while it is still usable, else the remembered error, at once and
 *   without a request.
 *
 * @module
 */
import { type Clock, sleep, systemClock } from './clock.ts'
import {
  HttpError,
  InvalidArgumentError,
  isOpenRpError,
  OAuthError,
  type OAuthErrorCode,
  OpenRpError,
  type ErrorCode,
  TimeoutError,
} from './errors.ts'
import { nonNegative } from './internal/number-options.ts'
import {
  assertLeaseHeld,
  type Lock,
  type LockLease,
  type Store,
  type StoreGetOptions,
} from './store.ts'

/**
 * How the coordinator reads the value: past any local copy (RedisStore's cache). Under the lock
 * a copy can still be the value from before a sibling's refresh, its invalidation not yet heard.
 */
const FRESH: StoreGetOptions = { fresh: true }

/**
 * The longest pause a provider's `Retry-After` imposes on a key (1 hour), or the backoff's
 * `maxMs` if that is longer: a provider answering `Retry-After: 31536000` (a year) must not stop
 * a fleet from refreshing for that long. The error keeps the provider's ask (`retryAfterMs`).
 *
 * @example
 * ```ts
 * MAX_RETRY_AFTER_MS // 3_600_000
 * ```
 */
export const MAX_RETRY_AFTER_MS = 3_600_000

/**
 * Delays of the backoff after failed requests. Each is a finite number of ms, 0 or more, and
 * `baseMs` is not above `maxMs` when both are given: anything else is refused with
 * `INVALID_ARGUMENT` when the coordinator (TokenManager, ClientCredentialsProvider) is made.
 *
 * @example
 * ```ts
 * new TokenManager({ client, store, storageKey: 'session', backoff: { baseMs: 2_000, maxMs: 120_000 } })
 * ```
 */
export interface BackoffPolicy {
  /** Pause after the first failure, ms (default 1000); doubled after each further one. */
  baseMs?: number
  /**
   * The longest pause, ms (default 60000). A `Retry-After` may ask for longer: it is honoured up
   * to {@link MAX_RETRY_AFTER_MS} (1 hour), or up to `maxMs` if that is longer.
   */
  maxMs?: number
}

/**
 * Options of {@link RefreshCoordinator}.
 *
 * @example
 * ```ts
 * const coordinator = new RefreshCoordinator({ store, lock, clock: systemClock, waitTimeoutMs: 10_000 })
 * ```
 */
export interface RefreshCoordinatorOptions {
  /** Where the values (and the failure records next to them) live. */
  store: Store
  /** Makes flights exclusive across whatever shares `store` (tabs, processes). */
  lock?: Lock | undefined
  /** Time for backoff, waits and store retries (default {@link systemClock}). */
  clock?: Clock | undefined
  /** Randomness of the backoff jitter, in [0, 1) (default `Math.random`). */
  random?: (() => number) | undefined
  /** Wait for `lock` at most this long (default 30000 ms); then LOCK_TIMEOUT. */
  lockTimeoutMs?: number | undefined
  /**
   * How long a caller waits for a flight (default 30000 ms); then it gets `TIMEOUT`, and the
   * flight goes on.
   */
  waitTimeoutMs?: number | undefined
  backoff?: BackoffPolicy | undefined
  /** Store read / write retries after an answer: first pause (default 50 ms), doubled up to 2 s. */
  storeRetryBaseMs?: number | undefined
}

/**
 * What a flight does with one key, given by its user (TokenManager, ClientCredentialsProvider).
 * Every step but `request` is cheap.
 *
 * @example
 * ```ts
 * const task: RefreshTask<TokenSet> = {
 *   key: 'cc:api',
 *   decode: (json) => TokenSet.fromJSON(json),
 *   encode: (set) => ({ json: set.toJSON(), ttlSec: set.expiresIn() }),
 *   settled: (stored) => (stored && !stored.isExpired(60) ? stored : undefined),
 *   request: async () => ({ value: await client.clientCredentials({ scope: 'api' }) }),
 *   same: (a, b) => a?.accessToken === b?.accessToken,
 *   superseded: (latest) => latest!,
 *   usable: (set): set is TokenSet => set !== undefined && !set.isExpired(),
 * }
 * ```
 */
export interface RefreshTask<T> {
  /** The store key of the value. */
  key: string
  /** The lock name (default `key`). */
  lockName?: string
  /**
   * Parses a stored value. On a malformed one it throws (STORE_ERROR), or returns `undefined`
   * to have it treated as absent: a cache (ClientCredentialsProvider) then sends the request
   * under the lock as for any other miss, and the answer overwrites the malformed value.
   */
  decode(json: unknown): T | undefined
  /** The JSON to store for `value`, and its time to live. */
  encode(value: T): { json: unknown; ttlSec?: number | undefined }
  /**
   * Given what the store holds after the lock was taken: a value to hand out without a request
   * (someone else renewed it), or `undefined` to send the request. May throw (no session).
   */
  settled(stored: T | undefined): T | undefined | Promise<T | undefined>
  /** Sends the request for `stored`. It is never abandoned once called. */
  request(stored: T | undefined, lease: LockLease | undefined): Promise<RefreshOutcome<T>>
  /** Whether two stored values are the same (the store still holds what a request started from). */
  same(a: T | undefined, b: T | undefined): boolean
  /** What callers get when the store changed during the request (a logout, a new login). */
  superseded(latest: T | undefined): T
  /** Whether `value` may still be handed out while the key backs off (not yet expired). */
  usable(value: T | undefined): value is T
  /** Hand out a usable stored value when the request fails or the key backs off (default true). */
  fallBack?: boolean
  /** Told of every store error retried after an answer. */
  onStoreRetry?(error: unknown): void
  /** Told of a failed request (before it is remembered). */
  onFailure?(error: unknown): void
  /**
   * Told once a request's value is in effect: stored, or handed out here while its write is
   * retried. Not for a salvaged value or one the store no longer wanted (superseded).
   */
  onRenewed?(value: T): void
}

/**
 * What a request produced:
 * - `{ value }`: store it (if the store still holds the value it started from) and hand it out;
 * - `{ value, error }`: a salvaged value (e.g. a set keeping the new refresh token of a 200 that
 *   failed its checks): store it the same way, then fail with `error` (remembered);
 * - `{ stored }`: the store already holds the answer (a sibling's): hand it out, write nothing.
 *
 * @example
 * ```ts
 * request: async (current) => ({ value: await client.refresh(current!) })
 * ```
 */
export type RefreshOutcome<T> = { value: T; error?: unknown } | { stored: T }

/**
 * A failure remembered for a key, as kept next to its value in the store (under the key
 * followed by `:failure`).
 *
 * @example
 * ```ts
 * const record = await store.get<RefreshFailureRecord>('user:alice:failure')
 * if (record && record.untilMs > Date.now()) console.log('backing off', record.error.code)
 * ```
 */
export interface RefreshFailureRecord {
  /** Epoch ms before which no request is sent for the key. */
  untilMs: number
  /** Failures in a row. */
  attempt: number
  /** The error, enough to rebuild it in another process (no tokens: messages never hold any). */
  error: {
    code: ErrorCode
    message: string
    status?: number | undefined
    oauthError?: string | undefined
    retryAfterMs?: number | undefined
  }
}

/** Codes that say nothing about the provider: never remembered. */
const NOT_REMEMBERED = new Set<ErrorCode>([
  'SESSION_EXPIRED',
  'LOGIN_REQUIRED',
  'LOCK_TIMEOUT',
  'LOCK_LOST',
  'STORE_ERROR',
  'ABORTED',
  'INVALID_ARGUMENT',
])

/**
 * Codes that tell of this context alone (its page or runtime, its DPoP key), not of the provider:
 * remembered here, never written to the store, so the tabs and members that share it still renew.
 */
const NOT_SHARED = new Set<ErrorCode>(['UNSUPPORTED', 'DPOP_KEY_MISMATCH'])

/**
 * The store key of the failure record of `key`.
 *
 * @example
 * ```ts
 * failureKey('user:alice') // 'user:alice:failure'
 * ```
 */
export function failureKey(key: string): string {
  return `${key}:failure`
}

/**
 * Runs refreshes (or any token request whose result is shared through a store) once per key,
 * whatever the number of callers, tabs or processes; see the module description for what it
 * guarantees when something fails.
 *
 * @example
 * ```ts
 * const coordinator = new RefreshCoordinator({ store, lock, clock: systemClock })
 * const token = await coordinator.run({
 *   key: 'cc:api',
 *   decode: (json) => TokenSet.fromJSON(json),
 *   encode: (set) => ({ json: set.toJSON(), ttlSec: set.expiresIn() }),
 *   settled: (stored) => (stored && !stored.isExpired(60) ? stored : undefined),
 *   request: async () => ({ value: await client.clientCredentials({ scope: 'api' }) }),
 *   same: (a, b) => a?.accessToken === b?.accessToken,
 *   superseded: (latest) => latest!,
 *   usable: (set): set is TokenSet => set !== undefined && !set.isExpired(),
 * })
 * ```
 */
export class RefreshCoordinator {
  readonly #store: Store
  readonly #lock: Lock | undefined
  readonly #clock: Clock
  readonly #random: () => number
  readonly #lockTimeoutMs: number
  readonly #waitTimeoutMs: number
  readonly #baseMs: number
  readonly #maxMs: number
  /** The longest pause a `Retry-After` imposes. */
  readonly #maxRetryAfterMs: number
  readonly #storeRetryBaseMs: number
  /** The flight under way per key. */
  readonly #flights = new Map<string, Promise<unknown>>()
  /** Answers whose write is still being retried, per key: handed out meanwhile. */
  readonly #unsaved = new Map<string, unknown>()
  /** The failure remembered per key, with the error itself when it happened here. */
  readonly #failures = new Map<string, { record: RefreshFailureRecord; error: unknown }>()
  /** The TimeoutError of each flight whose callers stopped waiting. */
  readonly #timeouts = new WeakMap<Promise<unknown>, TimeoutError>()

  constructor(options: RefreshCoordinatorOptions) {
    this.#store = options.store
    this.#lock = options.lock
    this.#clock = options.clock ?? systemClock
    this.#random = options.random ?? Math.random
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 30_000
    this.#waitTimeoutMs = options.waitTimeoutMs ?? 30_000
    const { backoff } = options
    this.#baseMs = nonNegative(backoff?.baseMs, 'backoff.baseMs', 1_000)
    this.#maxMs = nonNegative(backoff?.maxMs, 'backoff.maxMs', 60_000)
    if (backoff?.baseMs !== undefined && backoff.maxMs !== undefined && this.#baseMs > this.#maxMs)
      throw new InvalidArgumentError('options.backoff.baseMs must not be above backoff.maxMs')
    this.#maxRetryAfterMs = Math.max(this.#maxMs, MAX_RETRY_AFTER_MS)
    this.#storeRetryBaseMs = options.storeRetryBaseMs ?? 50
  }

  /** The clock this coordinator reads. */
  get clock(): Clock {
    return this.#clock
  }

  /**
   * The value for `task.key`: the one a flight under way (here) produces, an unsaved answer, the
   * stored value while the key backs off (else the remembered error), or a new flight's.
   */
  run<T>(task: RefreshTask<T>): Promise<T> {
    const running = this.#flights.get(task.key) as Promise<T> | undefined
    if (running) return this.#wait(running)
    // Registered before anything is awaited: every caller of this turn joins this flight.
    const flight = this.#start(task).finally(() => {
      if (this.#flights.get(task.key) === flight) this.#flights.delete(task.key)
    })
    this.#flights.set(task.key, flight)
    return this.#wait(flight)
  }

  async #start<T>(task: RefreshTask<T>): Promise<T> {
    const unsaved = this.#unsaved.get(task.key) as T | undefined
    if (unsaved !== undefined && (await task.settled(unsaved)) !== undefined) return unsaved
    // With a lock, the store's record is read under it (a sibling may fail while we wait).
    const failure = this.#lock ? this.#remembered(task.key) : await this.failure(task.key)
    if (failure) {
      const stored = await this.#read(task)
      if (task.fallBack !== false && task.usable(stored)) return stored
      throw failure
    }
    return this.#fly(task)
  }

  /** The flight under way for `key` in this process, if any. */
  running(key: string): Promise<unknown> | undefined {
    return this.#flights.get(key)
  }

  /**
   * The error remembered for `key` while it backs off (from this process, else from the
   * store's failure record), or `undefined`.
   */
  async failure(key: string): Promise<unknown> {
    const now = this.#clock.now()
    const local = this.#failures.get(key)
    if (local && local.record.untilMs > now) return local.error
    // Past its end the record only counts failures in a row; the store's copy has expired.
    const json = await this.#store.get(failureKey(key), FRESH).catch(() => undefined)
    const record = asFailureRecord(json)
    if (!record || record.untilMs <= now) return undefined
    const error = restoreError(record)
    this.#failures.set(key, { record, error })
    return error
  }

  /** The error remembered in this process for `key` while it backs off. */
  #remembered(key: string): unknown {
    const local = this.#failures.get(key)
    return local && local.record.untilMs > this.#clock.now() ? local.error : undefined
  }

  /** Forgets the failure remembered for `key` (here and in the store). */
  async forget(key: string): Promise<void> {
    if (!this.#failures.delete(key)) {
      // Another member's record: only delete what is there.
      const json = await this.#store.get(failureKey(key), FRESH).catch(() => undefined)
      if (json === undefined) return
    }
    await this.#store.delete(failureKey(key)).catch(() => {})
  }

  /**
   * Waits for `flight` at most `waitTimeoutMs`; the flight itself goes on. The callers of one
   * flight whose wait runs out share one TimeoutError (one failure, reported once).
   */
  #wait<T>(flight: Promise<T>): Promise<T> {
    if (!(this.#waitTimeoutMs < Number.POSITIVE_INFINITY)) return flight
    return new Promise<T>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        let error = this.#timeouts.get(flight)
        if (!error) {
          error = new TimeoutError(this.#waitTimeoutMs, 'The refresh')
          this.#timeouts.set(flight, error)
        }
        reject(error)
      }, this.#waitTimeoutMs)
      flight.then(
        (value) => {
          this.#clock.clearTimeout(timer)
          resolve(value)
        },
        (error: unknown) => {
          this.#clock.clearTimeout(timer)
          reject(error)
        },
      )
    })
  }

  /** One flight: under the lock (once more if its lease is lost before sending). */
  #fly<T>(task: RefreshTask<T>): Promise<T> {
    // Resolved as soon as an answer is known, even while its write is still retried.
    return new Promise<T>((resolve, reject) => {
      const early = (value: T) => resolve(value)
      const lock = this.#lock
      const run = (lease?: LockLease) => this.#underLock(task, lease, early)
      if (!lock) {
        run().then(resolve, reject)
        return
      }
      const name = task.lockName ?? task.key
      const options = { timeoutMs: this.#lockTimeoutMs }
      lock
        .withLock(name, run, options)
        .catch((error: unknown) => {
          if (!isOpenRpError(error, 'LOCK_LOST')) throw error
          // Lost before sending: once more from the lock; whoever took it over has probably
          // renewed, and the re-read under the lock finds its value.
          return lock.withLock(name, run, options)
        })
        .then(resolve, reject)
    })
  }

  async #underLock<T>(
    task: RefreshTask<T>,
    lease: LockLease | undefined,
    early: (value: T) => void,
  ): Promise<T> {
    // Another tab or process may have renewed while we waited for the lock.
    const stored = await this.#read(task)
    const settled = await task.settled(stored)
    if (settled !== undefined) return settled
    // Or failed: then this one does not try again before its backoff ends.
    const failure = this.#lock ? await this.failure(task.key) : undefined
    if (failure) {
      if (task.fallBack !== false && task.usable(stored)) return stored
      throw failure
    }
    // The lease was lost while we read: another context may hold the lock now and be sending
    // this very request. Sending it too could look like a replay, so don't; the caller starts
    // over from the lock. Once sent, a request is not abandoned however the lease fares.
    assertLeaseHeld(lease, task.lockName ?? task.key)
    let outcome: RefreshOutcome<T>
    try {
      outcome = await task.request(stored, lease)
    } catch (error) {
      if (isRemembered(error)) task.onFailure?.(error)
      await this.#remember(task.key, error)
      if (task.fallBack !== false && task.usable(stored) && isRemembered(error)) return stored
      throw error
    }
    if ('stored' in outcome) return outcome.stored
    const renewed = outcome.error === undefined
    // A salvaged value is stored, but callers get the error.
    const result = await this.#commit(task, stored, outcome.value, (value) => {
      if (!renewed) return
      task.onRenewed?.(value)
      early(value)
    })
    if (outcome.error !== undefined) {
      task.onFailure?.(outcome.error)
      await this.#remember(task.key, outcome.error)
      throw outcome.error
    }
    await this.forget(task.key)
    return result
  }

  /**
   * Writes `value` if the store still holds `started`. A store error is retried (the answer
   * may hold the only valid refresh token) while the lock is held; meanwhile `value` is handed
   * out in this process.
   */
  async #commit<T>(
    task: RefreshTask<T>,
    started: T | undefined,
    value: T,
    early: (value: T) => void,
  ): Promise<T> {
    let delayMs = this.#storeRetryBaseMs
    let casRefused = false
    try {
      for (;;) {
        let json: unknown
        try {
          json = await this.#store.get(task.key, FRESH)
        } catch (error) {
          this.#keepUnsaved(task, value, error, early)
          await sleep(this.#clock, delayMs)
          delayMs = Math.min(delayMs * 2, 2_000)
          continue
        }
        // A malformed value is no store failure to wait out: decode throws, or reads it as absent.
        const latest = json === undefined ? undefined : task.decode(json)
        if (!task.same(latest, started)) return task.superseded(latest)
        const { json: next, ttlSec } = task.encode(value)
        const options = ttlSec !== undefined ? { ttlSec } : undefined
        try {
          // A store that can compare and set in one step (RedisStore) makes the check above and
          // this write atomic: a writer whose lease was lost (a failover, a pause) cannot
          // overwrite a set written meanwhile; it reads again and finds itself superseded.
          // (A refusal is read again; should the value read again still count as the same, its
          // text differs from the one compared, and a plain write follows.)
          if (this.#store.compareAndSet && !casRefused) {
            if (!(await this.#store.compareAndSet(task.key, json, next, options))) {
              casRefused = true
              continue
            }
          } else await this.#store.set(task.key, next, options)
          if (!this.#unsaved.has(task.key)) early(value)
          return value
        } catch (error) {
          this.#keepUnsaved(task, value, error, early)
        }
        await sleep(this.#clock, delayMs)
        delayMs = Math.min(delayMs * 2, 2_000)
      }
    } finally {
      this.#unsaved.delete(task.key)
    }
  }

  /** A store error after an answer: hand the answer out here while the write is retried. */
  #keepUnsaved<T>(task: RefreshTask<T>, value: T, error: unknown, early: (value: T) => void) {
    task.onStoreRetry?.(error)
    if (this.#unsaved.has(task.key)) return
    this.#unsaved.set(task.key, value)
    early(value)
  }

  /** The stored value, read past any local copy. */
  async #read<T>(task: RefreshTask<T>): Promise<T | undefined> {
    const json = await this.#store.get(task.key, FRESH)
    return json === undefined ? undefined : task.decode(json)
  }

  /**
   * Remembers a failed request for `key`: backoff with jitter, at least `Retry-After` (up to
   * {@link MAX_RETRY_AFTER_MS}, or `maxMs` if longer). In the store too, for the other members,
   * unless the code is one of {@link NOT_SHARED}.
   */
  async #remember(key: string, error: unknown): Promise<void> {
    if (!isRemembered(error)) return
    const now = this.#clock.now()
    const previous = this.#failures.get(key)?.record
    const attempt = (previous?.attempt ?? 0) + 1
    // The exponent stops at 1023: 2 ** 1024 is Infinity, and 0 * Infinity NaN (baseMs 0).
    const backoff = Math.min(this.#baseMs * 2 ** Math.min(attempt - 1, 1023), this.#maxMs)
    // "Equal jitter": between half the backoff and all of it, so members spread out.
    const jittered = backoff / 2 + this.#random() * (backoff / 2)
    const retryAfterMs = Math.min(retryAfterOf(error) ?? 0, this.#maxRetryAfterMs)
    const untilMs = now + Math.max(jittered, retryAfterMs)
    const record: RefreshFailureRecord = { untilMs, attempt, error: describe(error) }
    this.#failures.set(key, { record, error })
    // Many keys (ClientCredentialsProvider): records long past their end count for nothing.
    if (this.#failures.size > 1_000) {
      for (const [k, { record: r }] of this.#failures) {
        if (r.untilMs + this.#maxMs < now) this.#failures.delete(k)
      }
    }
    if (error instanceof OpenRpError && NOT_SHARED.has(error.code)) return
    const ttlSec = Math.ceil((untilMs - now) / 1000) + 1
    await this.#store.set(failureKey(key), record, { ttlSec }).catch(() => {})
  }
}

function isRemembered(error: unknown): boolean {
  return !(error instanceof OpenRpError && NOT_REMEMBERED.has(error.code))
}

function retryAfterOf(error: unknown): number | undefined {
  if (error instanceof OAuthError || error instanceof HttpError) return error.retryAfterMs
  return undefined
}

function describe(error: unknown): RefreshFailureRecord['error'] {
  if (error instanceof OAuthError)
    return {
      code: error.code,
      message: error.message,
      status: error.status,
      oauthError: error.error,
      retryAfterMs: error.retryAfterMs,
    }
  if (error instanceof HttpError)
    return {
      code: error.code,
      message: error.message,
      status: error.status,
      retryAfterMs: error.retryAfterMs,
    }
  if (error instanceof OpenRpError) return { code: error.code, message: error.message }
  return { code: 'NETWORK_ERROR', message: 'The request failed' }
}

/** The error a failure record describes, rebuilt in another process. */
function restoreError(record: RefreshFailureRecord): OpenRpError {
  const e = record.error
  if (e.oauthError !== undefined)
    return new OAuthError(
      { error: e.oauthError, status: e.status, retryAfterMs: e.retryAfterMs },
      // Written from an OAuthError's code (see failureRecord).
      e.code as OAuthErrorCode,
    )
  if (e.code === 'HTTP_ERROR' && e.status !== undefined)
    return new HttpError(e.status, e.message, { retryAfterMs: e.retryAfterMs })
  return new OpenRpError(e.code, e.message)
}

function asFailureRecord(json: unknown): RefreshFailureRecord | undefined {
  if (typeof json !== 'object' || json === null) return undefined
  const r = json as Partial<RefreshFailureRecord>
  if (typeof r.untilMs !== 'number' || typeof r.attempt !== 'number') return undefined
  if (typeof r.error?.code !== 'string' || typeof r.error.message !== 'string') return undefined
  return r as RefreshFailureRecord
}
