/**
 * The shape of the Redis client openrp drives, written out so that `@openrp/node`'s declarations
 * do not import `redis` (an optional peer dependency). A node-redis v5 `createClient()` result
 * fits it; so does any client with these commands and events. Every Redis-backed class
 * (RedisStore, RedisLock) talks to Redis only through this type.
 *
 * @module
 */

/** Options of `SET` that openrp sends (node-redis v5 names). */
export interface RedisSetOptions {
  /** `NX`: set only when the key does not exist. */
  condition?: 'NX'
  /** `PX <ms>`: expire the key after `value` milliseconds. */
  expiration?: { type: 'PX'; value: number }
}

/**
 * A connected-or-connectable Redis client: the commands openrp sends (GET, SET, DEL, EVAL) and
 * the connection life cycle of node-redis v5 (`isOpen`, `isReady`, `connect`, `close`,
 * `destroy`, `'ready'` and `'error'` events).
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * import { RedisStore, type RedisClient } from '@openrp/node'
 *
 * const client: RedisClient = createClient({ url: 'redis://127.0.0.1:6379' })
 * const store = new RedisStore({ client })
 * ```
 */
export interface RedisClient {
  /** The socket is open (connected or connecting). */
  readonly isOpen: boolean
  /**
   * The client is connected and answers commands (a single client or a Sentinel client; a
   * cluster client has no such flag and is ready once `connect()` resolved).
   */
  readonly isReady?: boolean
  /** Opens the connection. */
  connect(): Promise<unknown>
  /** Closes the connection once pending commands are answered. */
  close(): Promise<unknown>
  /** Closes the connection at once. */
  destroy(): unknown
  /**
   * Listens to `'ready'` (connected), `'error'` (a failed connection or command), and the other
   * connection events of node-redis clients, clusters and Sentinel clients.
   */
  on(event: string, listener: (error?: unknown) => void): unknown
  /** Listens once. */
  once(event: 'ready', listener: () => void): unknown
  /** Stops listening (to any event `on` listened to). */
  off(event: string, listener: (error?: unknown) => void): unknown
  /** `GET key`. */
  get(key: string): Promise<unknown>
  /** `SET key value [NX] [PX ms]`; `'OK'` when set, `null` when `NX` found the key. */
  set(key: string, value: string, options?: RedisSetOptions): Promise<unknown>
  /** `DEL key`. */
  del(key: string): Promise<unknown>
  /**
   * node-redis's client-side cache (`clientSideCache` option, RESP 3), when configured: openrp
   * listens to its `'invalidate'` events.
   */
  readonly clientSideCache?: {
    /** Hears each key Redis reports changed (`null`: every key). */
    on(event: 'invalidate', listener: (key: unknown) => void): unknown
    /** Stops hearing them (a RedisStore's `close()`). */
    off?(event: 'invalidate', listener: (key: unknown) => void): unknown
  }
  /** `EVAL script numkeys keys... args...`. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
}
