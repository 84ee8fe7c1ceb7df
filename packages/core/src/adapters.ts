/**
 * `@openrp/core/adapters`: the building blocks of Store, Lock and runtime adapters, the ones
 * `@openrp/browser` and `@openrp/node` are made of. An app needs none of them; whoever writes a
 * Store for another database, or a Lock for another coordinator, uses them to behave like the
 * adapters openrp ships (same JSON rules, same TTL arithmetic, same lost-lease refusal).
 *
 * @example
 * ```ts
 * import type { Store, StoreSetOptions } from '@openrp/core'
 * import { parseStoredJson, toStoredJson, ttlSecToMs } from '@openrp/core/adapters'
 *
 * class KvStore implements Store {
 *   async get<T = unknown>(key: string) {
 *     const text = await kv.get(key)
 *     return text === null ? undefined : parseStoredJson<T>(text, 'KvStore')
 *   }
 *   async set(key: string, value: unknown, options?: StoreSetOptions) {
 *     await kv.put(key, toStoredJson(value), { ttlMs: ttlSecToMs(options?.ttlSec) })
 *   }
 *   async delete(key: string) { await kv.delete(key) }
 * }
 * ```
 *
 * @module
 */
export { DEFAULT_LOCK_TIMEOUT_MS } from './in-process-lock.ts'
export { Emitter, type Unsubscribe } from './internal/events.ts'
export { assertLeaseHeld } from './store.ts'
export { parseStoredJson, toStoredJson, ttlSecToMs } from './store-value.ts'
