import { describe, expect, it } from 'vitest'
import { parseStoredJson, toStoredJson, ttlSecToMs } from '../src/store-value.ts'

describe('toStoredJson', () => {
  it('gives the JSON text of a JSON value', () => {
    expect(toStoredJson({ a: [1, 'x', null], b: true })).toBe('{"a":[1,"x",null],"b":true}')
    expect(toStoredJson(null)).toBe('null')
  })

  it('refuses a value with no JSON form with STORE_ERROR', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (const value of [cyclic, undefined, 10n, () => 1]) {
      expect(() => toStoredJson(value)).toThrow(expect.objectContaining({ code: 'STORE_ERROR' }))
    }
  })
})

describe('parseStoredJson', () => {
  it('gives the value back', () => {
    expect(parseStoredJson('{"n":1}', 'TestStore')).toEqual({ n: 1 })
    expect(parseStoredJson('null')).toBeNull()
  })

  it('refuses text that is not JSON with STORE_ERROR, without echoing it', () => {
    let error: unknown
    try {
      parseStoredJson('{"accessToken":"at-SECRET', 'TestStore')
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ code: 'STORE_ERROR' })
    expect(String((error as Error).message)).not.toContain('SECRET')
  })
})

describe('ttlSecToMs', () => {
  it('converts a positive ttlSec, and passes no TTL through', () => {
    expect(ttlSecToMs(undefined)).toBeUndefined()
    expect(ttlSecToMs(2)).toBe(2000)
    expect(ttlSecToMs(0.05)).toBe(50)
  })

  it('refuses a ttlSec that is not a positive finite number with INVALID_ARGUMENT', () => {
    for (const ttlSec of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
      expect(() => ttlSecToMs(ttlSec)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
    }
  })
})
