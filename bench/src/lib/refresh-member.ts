/**
 * One member of the refresh-faults fleet: a TokenManager (one user session) or a
 * ClientCredentialsProvider (one machine token) on a shared RedisStore + RedisLock, calling
 * getAccessToken() / getToken() in loops until its time is up. Counts its calls and its errors
 * by code. Runs in a process of its own (workers/refresh-member.ts) or, for the bench's own
 * test, in the caller's process.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import {
  discover,
  isOpenRpError,
  type Lock,
  type LockLease,
  type LockOptions,
  type Store,
  type StoreSetOptions,
  StoreError,
  TokenManager,
  type TokenSet,
} from '@openrp/core'
import { ClientCredentialsProvider, RedisLock, RedisStore } from '@openrp/node'

/**
 * What a member shares with the fleet: a user session (TokenManager, refresh tokens) or a
 * machine token (ClientCredentialsProvider, the client credentials grant).
 *
 * @example
 * ```ts
 * const subject: RefreshSubject = 'client-credentials'
 * ```
 */
export type RefreshSubject = 'token-manager' | 'client-credentials'

export interface RefreshMemberConfig {
  redisUrl: string
  issuer: string
  clientId: string
  clientSecret: string
  /** Prefix of every key this run uses in Redis (the session, the lock, the fault switch). */
  prefix: string
  durationMs: number
  /** The client's timeoutMs. */
  timeoutMs: number
  /** Loops calling getAccessToken() at once. */
  concurrency?: number
  /** The RedisLock's lease, ms (default: RedisLock's). */
  leaseMs?: number
  /** What the members share (default `token-manager`). */
  subject?: RefreshSubject
  /** This member's number in the fleet, from 0 (names its ready flag). */
  index?: number
}

export interface RefreshMemberResult {
  calls: number
  /** Failed getAccessToken() calls by error code. */
  errors: Record<string, number>
  /** Store errors after an answer that the manager retried under the lock (its `error` events). */
  storeRetries: number
}

/**
 * The session's key in the store.
 *
 * @example
 * ```ts
 * await store.set(SESSION_KEY, tokens.toJSON())
 * ```
 */
export const SESSION_KEY = 'session'
/**
 * The fault switch's key: how many writes of the session to refuse.
 *
 * @example
 * ```ts
 * await store.set(STORE_FAULT_KEY, 1)
 * ```
 */
export const STORE_FAULT_KEY = 'fault:fail-session-writes'
/**
 * The second fault switch's key: how many refresh answers are followed by a failed read of the
 * session (the read that checks the store still holds what the refresh started from).
 *
 * @example
 * ```ts
 * await store.set(STORE_READ_FAULT_KEY, 1)
 * ```
 */
export const STORE_READ_FAULT_KEY = 'fault:fail-read-after-answer'
/**
 * Where the member holding the lock writes its process id (so the bench can kill the holder).
 *
 * @example
 * ```ts
 * const pid = await store.get<number>(HOLDER_KEY)
 * ```
 */
export const HOLDER_KEY = 'fault:lock-holder-pid'
/**
 * Set by the bench once every member is up: members start calling then, for `durationMs`.
 *
 * @example
 * ```ts
 * await store.set(GO_KEY, Date.now())
 * ```
 */
export const GO_KEY = 'go'
/**
 * Member `i` sets `${READY_KEY}:${i}` once warmed up (a first call made, the lock's connection
 * open): the bench says go when every member has.
 *
 * @example
 * ```ts
 * const ready = (await store.get(`${READY_KEY}:0`)) !== undefined
 * ```
 */
export const READY_KEY = 'ready'

/**
 * A lock that records, in the store, the process id of whoever holds it.
 *
 * @example
 * ```ts
 * const lock = new RecordingLock(new RedisLock({ url }), store)
 * ```
 */
export class RecordingLock implements Lock {
  constructor(
    readonly inner: Lock,
    readonly store: Store,
  ) {}

  withLock<T>(name: string, fn: (lease: LockLease) => Promise<T>, options?: LockOptions) {
    return this.inner.withLock(
      name,
      async (lease) => {
        await this.store.set(HOLDER_KEY, process.pid)
        return fn(lease)
      },
      options,
    )
  }
}

/**
 * A store that refuses writes of the session while the shared fault switch (a counter in the
 * same store, set by the bench) is above zero, counting it down: "the store refuses the write of
 * the rotated set". Writes of the session happen under the fleet's lock, so the count is exact.
 *
 * @example
 * ```ts
 * const store = new FaultySessionStore(new RedisStore({ url, prefix }))
 * await store.set(STORE_FAULT_KEY, 1) // the next write of the session fails
 * ```
 */
export class FaultySessionStore implements Store {
  /** Fail the next read of the session (set by {@link failReadAfterAnswer}). */
  failNextRead = false

  constructor(readonly inner: Store) {}

  get<T = unknown>(key: string): Promise<T | undefined> {
    if (key === SESSION_KEY && this.failNextRead) {
      this.failNextRead = false
      return Promise.reject(new StoreError('bench fault: the store read failed'))
    }
    return this.inner.get<T>(key)
  }

  async set(key: string, value: unknown, options?: StoreSetOptions): Promise<void> {
    if (key === SESSION_KEY) {
      const left = (await this.inner.get<number>(STORE_FAULT_KEY)) ?? 0
      if (left > 0) {
        await this.inner.set(STORE_FAULT_KEY, left - 1)
        throw new StoreError('bench fault: the store refused the write')
      }
    }
    return this.inner.set(key, value, options)
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key)
  }
}

/**
 * A client whose refresh answers, while the shared switch {@link STORE_READ_FAULT_KEY} is above
 * zero (counted down), are followed by a failed read of the session in `store`: the next read
 * in this member, the one that checks the store before the answer is written (nothing but
 * promise jobs run between the answer and it).
 *
 * @example
 * ```ts
 * const manager = new TokenManager({ client: failReadAfterAnswer(client, store), store, key })
 * ```
 */
export function failReadAfterAnswer(
  client: Awaited<ReturnType<typeof discover>>,
  store: FaultySessionStore,
) {
  return {
    core: client.core,
    async refresh(set: string | TokenSet, options?: { timeoutMs?: number }): Promise<TokenSet> {
      const next = await client.refresh(set, options)
      const left = (await store.inner.get<number>(STORE_READ_FAULT_KEY)) ?? 0
      if (left > 0) {
        // Answers arrive under the fleet's lock, one at a time: the count is exact.
        await store.inner.set(STORE_READ_FAULT_KEY, left - 1)
        store.failNextRead = true
      }
      return next
    },
  }
}

/**
 * Runs one member until `durationMs` has passed and reports its calls and errors.
 *
 * @example
 * ```ts
 * const { calls, errors } = await runRefreshMember({ redisUrl, issuer, clientId, clientSecret,
 *   prefix: 'bench:faults:0:', durationMs: 10_000, timeoutMs: 1500 })
 * ```
 */
export async function runRefreshMember(config: RefreshMemberConfig): Promise<RefreshMemberResult> {
  const redis = new RedisStore({ url: config.redisUrl, prefix: config.prefix })
  const lock = new RedisLock({
    url: config.redisUrl,
    prefix: `${config.prefix}lock:`,
    ...(config.leaseMs !== undefined && { leaseMs: config.leaseMs }),
  })
  // Discovery with the default timeout: a busy machine starting the fleet may be slow.
  const client = await discover(config.issuer, {
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    clientAuth: 'client_secret_post',
  })
  const store = new FaultySessionStore(redis)
  let manager: { close(): void | Promise<void> }
  let storeRetries = 0
  let call: () => Promise<unknown>
  if (config.subject === 'client-credentials') {
    const provider = new ClientCredentialsProvider({
      client,
      store: redis,
      lock: new RecordingLock(lock, redis),
      refreshSkewSec: 1,
      timeoutMs: config.timeoutMs,
    })
    manager = provider
    call = () => provider.getToken({ scope: 'api:read' })
  } else {
    const tokens = new TokenManager({
      client: failReadAfterAnswer(client, store),
      store,
      lock: new RecordingLock(lock, redis),
      storageKey: SESSION_KEY,
      refreshSkewSec: 1,
      // How long a caller waits; a refresh once sent waits for its answer however long.
      timeoutMs: config.timeoutMs,
    })
    tokens.on('error', (error) => {
      if (isOpenRpError(error, 'STORE_ERROR')) storeRetries++
    })
    manager = tokens
    call = () => tokens.getAccessToken()
  }
  const errors: Record<string, number> = {}
  let calls = 0
  // Warm up before the fleet starts (on a busy machine, a process's first call and its lock's
  // first connection take seconds): a first call, the lock taken once under a name of its own.
  await call().catch(() => {})
  await lock.withLock(`warm-up:${config.index ?? 0}`, async () => {})
  await redis.set(`${READY_KEY}:${config.index ?? 0}`, 1)
  // Wait for the whole fleet (processes start at different speeds).
  const startBy = Date.now() + 120_000
  while ((await redis.get(GO_KEY)) === undefined) {
    if (Date.now() > startBy) throw new Error('refresh member: no go from the bench')
    await sleep(20)
  }
  const until = Date.now() + config.durationMs
  try {
    await Promise.all(
      Array.from({ length: config.concurrency ?? 2 }, async () => {
        while (Date.now() < until) {
          calls++
          try {
            await call()
            await sleep(20)
          } catch (error) {
            const code = isOpenRpError(error) ? error.code : 'UNTYPED'
            errors[code] = (errors[code] ?? 0) + 1
            await sleep(50)
          }
        }
      }),
    )
  } finally {
    await manager.close()
    await Promise.all([redis.close(), lock.close()])
  }
  return { calls, errors, storeRetries }
}
