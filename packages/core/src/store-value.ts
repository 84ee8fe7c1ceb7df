/**
 * How a `Store` keeps a value: as JSON text, with an optional, checked TTL. Every store of
 * openrp goes through these, so they all refuse the same values with the same errors; a store
 * of your own can use them to behave alike.
 *
 * @module
 */
import { InvalidArgumentError, StoreError } from './errors.ts'

/**
 * The JSON text of a value about to be stored.
 *
 * @throws StoreError (code `STORE_ERROR`) when the value has no JSON form (a cycle, a `BigInt`,
 *   `undefined`, a function); check before writing, so nothing is overwritten.
 * @example
 * ```ts
 * class MyStore {
 *   async set(key: string, value: unknown) {
 *     await backend.write(key, toStoredJson(value))
 *   }
 * }
 * ```
 */
export function toStoredJson(value: unknown): string {
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch (cause) {
    throw new StoreError('The value is not serialisable as JSON', { cause })
  }
  if (json === undefined) throw new StoreError('The value is not serialisable as JSON')
  return json
}

/**
 * The value in JSON text read back from a backend.
 *
 * @param storeName Names the store in the error message, e.g. `'RedisStore'`.
 * @param options `frozen: true` freezes the value deeply, for a store that hands the same parsed
 *   value to every reader (MemoryStore, RedisStore's local cache): no reader can change it.
 * @throws StoreError (code `STORE_ERROR`) when the text is not JSON (written by someone else,
 *   or corrupt). The message never contains the text, which may be a token.
 * @example
 * ```ts
 * async function get<T>(key: string): Promise<T | undefined> {
 *   const text = await backend.read(key)
 *   return text === undefined ? undefined : parseStoredJson<T>(text, 'MyStore')
 * }
 * ```
 */
export function parseStoredJson<T = unknown>(
  text: string,
  storeName = 'A store',
  options: { frozen?: boolean } = {},
): T {
  let value: T
  try {
    value = JSON.parse(text) as T
  } catch (cause) {
    throw new StoreError(`${storeName} found a value that is not JSON`, { cause })
  }
  return options.frozen ? deepFreeze(value) : value
}

/** Freezes a JSON value and everything in it (iteratively: any depth JSON allows). */
function deepFreeze<T>(value: T): T {
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const item = pending.pop()
    if (typeof item === 'object' && item !== null) {
      Object.freeze(item)
      for (const member of Object.values(item)) pending.push(member)
    }
  }
  return value
}

/**
 * `StoreSetOptions.ttlSec` in milliseconds, checked: `undefined` when no TTL was asked for.
 *
 * @throws InvalidArgumentError (code `INVALID_ARGUMENT`) unless `ttlSec` is a finite number
 *   above 0.
 * @example
 * ```ts
 * const ttlMs = ttlSecToMs(options.ttlSec)
 * const expiresAt = ttlMs === undefined ? undefined : Date.now() + ttlMs
 * ```
 */
export function ttlSecToMs(ttlSec: number | undefined): number | undefined {
  if (ttlSec === undefined) return undefined
  if (!(typeof ttlSec === 'number' && Number.isFinite(ttlSec) && ttlSec > 0)) {
    throw new InvalidArgumentError('ttlSec must be a positive number of seconds')
  }
  return ttlSec * 1000
}
