/**
 * A {@link Store} on Redis, shared by every process of a fleet.
 *
 * @module
 */
import type { Store, StoreSetOptions } from '@openrp/core'
import { parseStoredJson, toStoredJson, ttlSecToMs } from '@openrp/core/adapters'
import { RedisConnection, type RedisConnectionOptions } from './internal/redis-connection.ts'

export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Prepended to every key (default `openrp:`), so the store can share a Redis database. */
  prefix?: string
}

/**
 * Keeps JSON values in Redis (node-redis v5) under `prefix + key`; `ttlSec` becomes a `PX`
 * expiry so Redis drops a token when it expires.
 *
 * Built to fail fast: when Redis is down, calls reject with `StoreError` (code `STORE_ERROR`)
 * within the connect / command timeout instead of hanging, and the client reconnects by itself
 * when Redis returns. A value that is not JSON gives a `StoreError` on `get`.
 *
 * Call `close()` when done, or the open connection keeps the process alive.
 *
 * @example
 * ```ts
 * import { RedisLock, RedisStore, ClientCredentialsProvider } from '@openrp/node'
 * const store = new RedisStore({ url: 'redis://127.0.0.1:6379', prefix: 'billing:' })
 * const lock = new RedisLock({ url: 'redis://127.0.0.1:6379', prefix: 'billing:lock:' })
 * const tokens = new ClientCredentialsProvider({ client, store, lock })
 * ```
 */
export class RedisStore implements Store {
  readonly prefix: string
  readonly #connection: RedisConnection

  constructor(options: RedisStoreOptions) {
    this.#connection = new RedisConnection(options)
    this.prefix = options.prefix ?? 'openrp:'
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const text = await this.#connection.run('GET', (c) => c.get(this.prefix + key))
    if (text === null || text === undefined) return undefined
    return parseStoredJson<T>(String(text), 'RedisStore')
  }

  async set(key: string, value: unknown, options: StoreSetOptions = {}): Promise<void> {
    const text = toStoredJson(value)
    const ttlMs = ttlSecToMs(options.ttlSec)
    await this.#connection.run('SET', (c) =>
      ttlMs === undefined
        ? c.set(this.prefix + key, text)
        : c.set(this.prefix + key, text, {
            expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) },
          }),
    )
  }

  async delete(key: string): Promise<void> {
    await this.#connection.run('DEL', (c) => c.del(this.prefix + key))
  }

  /** Closes the Redis connection this store opened (not a `client` you passed in). */
  close(): Promise<void> {
    return this.#connection.close()
  }
}
