import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../src/memory-store.ts'

describe('MemoryStore', () => {
  it('round-trips JSON values and deletes them', async () => {
    const store = new MemoryStore()
    await store.set('a', { n: 1, list: ['x'] })
    expect(await store.get('a')).toEqual({ n: 1, list: ['x'] })
    await store.delete('a')
    expect(await store.get('a')).toBeUndefined()
    expect(await store.get('never-set')).toBeUndefined()
  })

  it('copies values so callers cannot mutate what is stored', async () => {
    const store = new MemoryStore()
    const value = { n: 1 }
    await store.set('a', value)
    value.n = 2
    const read = await store.get<{ n: number }>('a')
    expect(read).toEqual({ n: 1 })
    // Values read are frozen: writing to one throws instead of changing what others read.
    expect(() => {
      read!.n = 3
    }).toThrow(TypeError)
    expect(await store.get('a')).toEqual({ n: 1 })
  })

  it('hands out deeply frozen values: no caller can change what the next one reads', async () => {
    const store = new MemoryStore()
    await store.set('a', { claims: { sub: 'alice', amr: ['pwd'] }, list: [{ x: 1 }] })
    type Value = { claims: { sub: string; amr: string[] }; list: { x: number }[] }
    const read = (await store.get<Value>('a'))!
    expect(Object.isFrozen(read)).toBe(true)
    expect(() => {
      read.claims.sub = 'mallory'
    }).toThrow(TypeError)
    expect(() => read.claims.amr.push('otp')).toThrow(TypeError)
    expect(() => {
      read.list[0]!.x = 2
    }).toThrow(TypeError)
    expect(() => {
      delete (read as Partial<Value>).list
    }).toThrow(TypeError)
    expect(await store.get('a')).toEqual({
      claims: { sub: 'alice', amr: ['pwd'] },
      list: [{ x: 1 }],
    })
  })

  it('gives the same object until the next set, then a new one', async () => {
    const store = new MemoryStore()
    const written = { n: 1 }
    await store.set('a', written)
    const first = await store.get('a')
    expect(first).not.toBe(written)
    expect(await store.get('a')).toBe(first)
    await store.set('a', { n: 1 })
    const second = await store.get('a')
    expect(second).not.toBe(first)
    expect(second).toEqual(first)
  })

  it('stores and freezes a deeply nested value', async () => {
    const store = new MemoryStore()
    let deep: unknown[] = []
    const root = deep
    for (let i = 0; i < 2000; i++) {
      const next: unknown[] = []
      deep.push(next)
      deep = next
    }
    await store.set('deep', root)
    let read = (await store.get<unknown[]>('deep'))!
    for (let i = 0; i < 2000; i++) read = read[0] as unknown[]
    expect(Object.isFrozen(read)).toBe(true)
  })

  it('drops an entry once its ttlSec has elapsed', async () => {
    let now = 1_000_000
    const store = new MemoryStore({ now: () => now })
    await store.set('short', 'v', { ttlSec: 2 })
    await store.set('forever', 'w')
    now += 1_999
    expect(await store.get('short')).toBe('v')
    now += 1
    expect(await store.get('short')).toBeUndefined()
    now += 10_000_000
    expect(await store.get('forever')).toBe('w')
  })

  it('sweeps expired keys on a write once sweepIntervalMs has passed: memory stays bounded', async () => {
    const clock = new ManualClock()
    const store = new MemoryStore({ now: () => clock.now(), sweepIntervalMs: 10_000 })
    await store.set('forever', 'kept')
    // Keys written once with a short TTL and never read again (e.g. one per scope or user).
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 100; i++) await store.set(`r${round}-k${i}`, i, { ttlSec: 1 })
      await clock.advance(1_000)
      // At most the keys of the last 10 s (plus the current round) are held, never all 10,000.
      expect(store.size).toBeLessThanOrEqual(1 + 11 * 100)
    }
    await clock.advance(10_000)
    await store.set('last', 1)
    expect(store.size).toBe(2)
    expect(await store.get('forever')).toBe('kept')
  })

  it('does not sweep before sweepIntervalMs, and never drops keys without a TTL', async () => {
    const clock = new ManualClock()
    const store = new MemoryStore({ now: () => clock.now() }) // default: every 60 s
    await store.set('a', 1, { ttlSec: 1 })
    await store.set('b', 2)
    await clock.advance(59_000)
    await store.set('c', 3)
    expect(store.size).toBe(3) // 'a' expired (unreadable) but not swept yet
    expect(await store.get('a')).toBeUndefined()
    await store.set('a2', 1, { ttlSec: 1 })
    await clock.advance(1_000)
    await store.set('d', 4)
    expect(store.size).toBe(3) // a2 swept with the sweep at 60 s
    expect([await store.get('b'), await store.get('c'), await store.get('d')]).toEqual([2, 3, 4])
  })

  it('holds at most maxEntries: expired entries go first, then the least recently used', async () => {
    const clock = new ManualClock()
    const store = new MemoryStore({ now: () => clock.now(), maxEntries: 3 })
    await store.set('a', 1, { ttlSec: 10 })
    await store.set('b', 2)
    await store.set('c', 3)
    expect(await store.get('a')).toBe(1) // a read is a use: 'b' is now the least recently used
    await store.set('d', 4)
    expect(store.size).toBe(3)
    expect(await store.get('b')).toBeUndefined()
    // 'c' is the least recently used, but 'a' has expired: 'a' goes, not 'c'.
    await clock.advance(10_000)
    await store.set('e', 5)
    expect(store.size).toBe(3)
    expect([await store.get('c'), await store.get('d'), await store.get('e')]).toEqual([3, 4, 5])
    expect(await store.get('a')).toBeUndefined()
    // Rewriting a key is a use too: 'd' (now least recently used after reads of c, d, e, c) goes.
    expect(await store.get('c')).toBe(3)
    await store.set('d', 40)
    await store.set('f', 6)
    expect(await store.get('e')).toBeUndefined()
    expect([await store.get('c'), await store.get('d'), await store.get('f')]).toEqual([3, 40, 6])
  })

  it('stays at maxEntries over many distinct keys that have not expired', async () => {
    const clock = new ManualClock()
    const store = new MemoryStore({ now: () => clock.now(), maxEntries: 100 })
    let largest = 0
    for (let i = 0; i < 10_000; i++) {
      await store.set(`k${i}`, i, { ttlSec: 3600 })
      largest = Math.max(largest, store.size)
    }
    expect(largest).toBe(100)
    // The last 100 written are the ones kept.
    expect(await store.get('k9899')).toBeUndefined()
    expect(await store.get('k9900')).toBe(9900)
    expect(await store.get('k9999')).toBe(9999)
  })

  it('evicts nothing live without maxEntries (a session store keeps every refresh token)', async () => {
    const store = new MemoryStore()
    for (let i = 0; i < 5_000; i++) await store.set(`session:${i}`, { refreshToken: `rt-${i}` })
    expect(store.size).toBe(5_000)
    expect(await store.get('session:0')).toEqual({ refreshToken: 'rt-0' })
  })

  it('rejects a bad maxEntries with INVALID_ARGUMENT', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
      expect(() => new MemoryStore({ maxEntries })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
    }
    expect(new MemoryStore({ maxEntries: Number.POSITIVE_INFINITY }).size).toBe(0)
  })

  it('expires with the real clock too', async () => {
    const store = new MemoryStore()
    // 300 ms: long enough that a loaded machine still reads the value before it expires.
    await store.set('k', 1, { ttlSec: 0.3 })
    expect(await store.get('k')).toBe(1)
    await new Promise((r) => setTimeout(r, 350))
    expect(await store.get('k')).toBeUndefined()
  })

  it('refuses a non-JSON value with STORE_ERROR and keeps the old one', async () => {
    const store = new MemoryStore()
    await store.set('k', 'old')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    await expect(store.set('k', cyclic)).rejects.toMatchObject({ code: 'STORE_ERROR' })
    await expect(store.set('k', undefined)).rejects.toMatchObject({ code: 'STORE_ERROR' })
    await expect(store.set('k', 10n)).rejects.toMatchObject({ code: 'STORE_ERROR' })
    expect(await store.get('k')).toBe('old')
  })

  it('rejects a bad ttlSec with INVALID_ARGUMENT', async () => {
    const store = new MemoryStore()
    for (const ttlSec of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(store.set('k', 1, { ttlSec })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
    }
    expect(await store.get('k')).toBeUndefined()
  })
})
