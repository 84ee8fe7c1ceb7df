import { StoreError } from '@openrp/core'
import { parseStoredJson, toStoredJson, ttlSecToMs } from '@openrp/core/adapters'

/** What IndexedDbStore and SessionStorageStore keep per key. */
export interface Envelope {
  v: 1
  /** Epoch ms after which the value is gone. */
  e?: number
  /** The value as JSON text. */
  j: string
}

/**
 * The envelope of a value written at `nowMs`.
 * StoreError when the value has no JSON form; InvalidArgumentError for a bad `ttlSec`.
 */
export function sealEnvelope(value: unknown, ttlSec: number | undefined, nowMs: number): Envelope {
  const envelope: Envelope = { v: 1, j: toStoredJson(value) }
  const ttlMs = ttlSecToMs(ttlSec)
  if (ttlMs !== undefined) envelope.e = nowMs + ttlMs
  return envelope
}

/**
 * The value in what `storeName` read, or `undefined` when it expired by `nowMs` (the caller
 * deletes it). StoreError when it is not an envelope or its JSON is broken.
 */
export function openEnvelope<T>(stored: unknown, nowMs: number, storeName: string): T | undefined {
  if (!isEnvelope(stored)) throw new StoreError(`${storeName} found a value it did not write`)
  if (stored.e !== undefined && stored.e <= nowMs) return undefined
  return parseStoredJson<T>(stored.j, storeName)
}

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false
  const envelope = value as Partial<Envelope>
  return (
    envelope.v === 1 &&
    typeof envelope.j === 'string' &&
    (envelope.e === undefined || typeof envelope.e === 'number')
  )
}
