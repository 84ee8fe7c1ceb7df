import { InvalidArgumentError, StoreError } from '@openrp/core'

/** The value as JSON text; StoreError when it has no JSON form (cycles, BigInt, undefined). */
export function toJsonText(value: unknown): string {
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch (cause) {
    throw new StoreError('The value is not serialisable as JSON', { cause })
  }
  if (json === undefined) throw new StoreError('The value is not serialisable as JSON')
  return json
}

/** Epoch ms at which a value written now with `ttlSec` expires, or undefined without TTL. */
export function expiryOf(ttlSec: number | undefined, nowMs: number): number | undefined {
  if (ttlSec === undefined) return undefined
  if (!(typeof ttlSec === 'number' && Number.isFinite(ttlSec) && ttlSec > 0)) {
    throw new InvalidArgumentError('ttlSec must be a positive number of seconds')
  }
  return nowMs + ttlSec * 1000
}

/** What the browser stores keep per key. */
export interface Envelope {
  v: 1
  /** Epoch ms after which the value is gone. */
  e?: number
  /** The value as JSON text. */
  j: string
}

export function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false
  const envelope = value as Partial<Envelope>
  return (
    envelope.v === 1 &&
    typeof envelope.j === 'string' &&
    (envelope.e === undefined || typeof envelope.e === 'number')
  )
}

/** The value inside an envelope; StoreError when its JSON is broken. */
export function openEnvelope<T>(envelope: Envelope): T {
  try {
    return JSON.parse(envelope.j) as T
  } catch (cause) {
    throw new StoreError('A stored value is not valid JSON', { cause })
  }
}
