/**
 * SessionStorageStore with an injected Web Storage area (Node has no `sessionStorage`): round
 * trips, key prefixes, TTL expiry, JSON-only values, and storage failures that must become
 * `STORE_ERROR` without changing what was stored; a copy of a live tab's storage told from the
 * tab that wrote it, over real BroadcastChannels (Node has them). The real `sessionStorage` in
 * Chromium, and a real copied tab, are exercised by the e2e suite.
 */
import { isOpenRpError, StoreError } from '@openrp/core'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { SessionStorageStore } from '../src/index.ts'

/** A Web Storage area in memory, with the full `Storage` interface. */
class MapStorage implements Storage {
  readonly items = new Map<string, string>()
  get length(): number {
    return this.items.size
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value))
  }
  removeItem(key: string): void {
    this.items.delete(key)
  }
  clear(): void {
    this.items.clear()
  }
}

/** What a duplicated tab (or a page opened with `window.open`) starts with: a copy of `storage`. */
function copyOf(storage: MapStorage): MapStorage {
  const copy = new MapStorage()
  for (const [key, value] of storage.items) copy.items.set(key, value)
  return copy
}

/** A full storage area: every write throws what browsers throw when the quota is used up. */
class FullStorage extends MapStorage {
  override setItem(): void {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
  }
}

/** Storage that the browser blocks (e.g. third-party storage disabled): every call throws. */
class BlockedStorage extends MapStorage {
  override getItem(): string | null {
    throw new DOMException('Access is denied for this document.', 'SecurityError')
  }
  override setItem(): void {
    throw new DOMException('Access is denied for this document.', 'SecurityError')
  }
  override removeItem(): void {
    throw new DOMException('Access is denied for this document.', 'SecurityError')
  }
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await errorOf(promise)
  return isOpenRpError(error) ? error.code : `not an OpenRpError: ${String(error)}`
}

const TOKENS = { accessToken: 'at-secret-123', refreshToken: 'rt-secret-456', expiresAt: 1 }

describe('SessionStorageStore', () => {
  it('round-trips JSON values, answers undefined for a missing key, and deletes', async () => {
    const store = new SessionStorageStore({ storage: new MapStorage() })
    const values: unknown[] = [
      TOKENS,
      ['a', 1, true, null],
      'text',
      0,
      false,
      null,
      { nested: { x: [1] } },
    ]
    for (const [i, value] of values.entries()) {
      await store.set(`k${i}`, value)
      expect(await store.get(`k${i}`)).toEqual(value)
    }
    expect(await store.get('missing')).toBeUndefined()
    await store.set('k0', { replaced: true })
    expect(await store.get('k0')).toEqual({ replaced: true })
    await store.delete('k0')
    expect(await store.get('k0')).toBeUndefined()
    await store.delete('never-set') // deleting nothing is fine
  })

  it('keeps values under the prefix (default `openrp:`), so stores with other prefixes do not meet', async () => {
    const storage = new MapStorage()
    const plain = new SessionStorageStore({ storage })
    const app = new SessionStorageStore({ storage, prefix: 'my-app:' })
    expect(plain.prefix).toBe('openrp:')
    expect(app.prefix).toBe('my-app:')
    await plain.set('session', 'one')
    await app.set('session', 'two')
    expect([...storage.items.keys()].sort()).toEqual(['my-app:session', 'openrp:session'])
    expect(await plain.get('session')).toBe('one')
    expect(await app.get('session')).toBe('two')
    await app.delete('session')
    expect(await plain.get('session')).toBe('one')
    expect([...storage.items.keys()]).toEqual(['openrp:session'])
    // A key written by someone else without the prefix is not this store's.
    storage.setItem('session', '{"v":1,"j":"\\"foreign\\""}')
    expect(await plain.get('session')).toBe('one')
  })

  it('keeps a value for ttlSec and no longer; the expired entry is removed on read', async () => {
    const storage = new MapStorage()
    let now = 1_000_000
    const store = new SessionStorageStore({ storage, now: () => now })
    await store.set('short', TOKENS, { ttlSec: 10 })
    await store.set('forever', 'kept')
    now += 9_999
    expect(await store.get('short')).toEqual(TOKENS)
    now += 1
    expect(await store.get('short')).toBeUndefined()
    expect(storage.items.has('openrp:short')).toBe(false)
    now += 365 * 24 * 3600 * 1000
    expect(await store.get('forever')).toBe('kept')
  })

  it('refuses a bad ttlSec with INVALID_ARGUMENT and keeps the previous value', async () => {
    const storage = new MapStorage()
    const store = new SessionStorageStore({ storage })
    await store.set('k', 'before')
    for (const ttlSec of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, '60' as unknown as number])
      expect(await codeOf(store.set('k', 'after', { ttlSec }))).toBe('INVALID_ARGUMENT')
    expect(await store.get('k')).toBe('before')
  })

  it('refuses values without a JSON form with STORE_ERROR and keeps the previous value', async () => {
    const storage = new MapStorage()
    const store = new SessionStorageStore({ storage })
    await store.set('k', TOKENS)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (const value of [undefined, () => 1, 10n, cyclic, Symbol('s')])
      expect(await codeOf(store.set('k', value))).toBe('STORE_ERROR')
    expect(await store.get('k')).toEqual(TOKENS)
  })

  it('stores values as JSON: what comes back is the JSON form, not the object that went in', async () => {
    const store = new SessionStorageStore({ storage: new MapStorage() })
    const date = new Date('2026-01-02T03:04:05.000Z')
    await store.set('k', { date, drop: undefined, n: Number.NaN })
    expect(await store.get('k')).toEqual({ date: '2026-01-02T03:04:05.000Z', n: null })
  })

  it('a full storage (QuotaExceededError) gives STORE_ERROR; the previous value stays', async () => {
    const storage = new FullStorage()
    const before = JSON.stringify({ v: 1, j: JSON.stringify(TOKENS) })
    storage.items.set('openrp:tokens', before)
    const store = new SessionStorageStore({ storage })
    const error = await errorOf(store.set('tokens', { ...TOKENS, accessToken: 'at-new-789' }))
    expect(error).toBeInstanceOf(StoreError)
    expect(isOpenRpError(error) && error.code).toBe('STORE_ERROR')
    expect((error as StoreError).cause).toBeInstanceOf(DOMException)
    expect(((error as StoreError).cause as DOMException).name).toBe('QuotaExceededError')
    expect((error as StoreError).message).not.toContain('at-new-789')
    expect(storage.items.get('openrp:tokens')).toBe(before)
    expect(await store.get('tokens')).toEqual(TOKENS)
  })

  it('blocked storage (SecurityError) gives STORE_ERROR on read, write and delete', async () => {
    const store = new SessionStorageStore({ storage: new BlockedStorage() })
    expect(await codeOf(store.get('k'))).toBe('STORE_ERROR')
    expect(await codeOf(store.set('k', 1))).toBe('STORE_ERROR')
    expect(await codeOf(store.delete('k'))).toBe('STORE_ERROR')
  })

  it('with no storage given and no global sessionStorage (Node), every call is STORE_ERROR', async () => {
    expect((globalThis as { sessionStorage?: unknown }).sessionStorage).toBeUndefined()
    const store = new SessionStorageStore()
    expect(await codeOf(store.get('k'))).toBe('STORE_ERROR')
    expect(await codeOf(store.set('k', 1))).toBe('STORE_ERROR')
  })

  it.each([
    ['text that is not JSON', 'at-secret-123{'],
    ['JSON that is not an envelope', '"at-secret-123"'],
    ['an envelope of another version', '{"v":2,"j":"1"}'],
    ['an envelope whose value is not JSON', '{"v":1,"j":"at-secret-123{"}'],
    ['an envelope with a non-numeric expiry', '{"v":1,"j":"1","e":"soon"}'],
  ])(
    'corrupt stored text (%s) is STORE_ERROR, and is neither echoed nor deleted',
    async (_, text) => {
      const storage = new MapStorage()
      storage.items.set('openrp:k', text)
      const store = new SessionStorageStore({ storage })
      const error = await errorOf(store.get('k'))
      expect(isOpenRpError(error) && error.code).toBe('STORE_ERROR')
      expect((error as Error).message).not.toContain('at-secret-123')
      expect(storage.items.get('openrp:k')).toBe(text)
    },
  )
})

describe('SessionStorageStore in a copy of a tab', () => {
  /** Each test's own prefix: channels of earlier tests' stores stay open in this process. */
  let tests = 0
  function tab(storage: MapStorage, clock = new ManualClock()) {
    const prefix = `copy-test-${++tests}:`
    return (copied = storage) =>
      new SessionStorageStore({ storage: copied, prefix, detectCopies: true, clock })
  }

  it('drops the refresh tokens it copied from a live tab, before its first read; the original keeps them', async () => {
    const original = new MapStorage()
    const open = tab(original)
    const first = open()
    await first.set('session', TOKENS)
    await first.set('other', { note: 'kept' })

    const copied = copyOf(original)
    const copy = open(copied)
    const { refreshToken: _, ...withoutRefreshToken } = TOKENS
    // Answered by the original tab's store at once: no time passes on the clock.
    expect(await copy.get('session')).toEqual(withoutRefreshToken)
    expect(await copy.get('other')).toEqual({ note: 'kept' })
    expect(await first.get('session')).toEqual(TOKENS)
    expect(JSON.stringify([...copied.items])).not.toContain(TOKENS.refreshToken)
    // The copy holds an id of its own now: a copy of the copy is told from it, not from the
    // original.
    const idKey = `${first.prefix}#tab`
    expect(copied.items.get(idKey)).toEqual(expect.any(String))
    expect(copied.items.get(idKey)).not.toBe(original.items.get(idKey))
    await copy.set('session', { ...TOKENS, refreshToken: 'rt-of-the-copy' })
    const copyOfCopy = open(copyOf(copied))
    expect(await copyOfCopy.get('session')).toEqual(withoutRefreshToken)
    expect(await copy.get('session')).toEqual({ ...TOKENS, refreshToken: 'rt-of-the-copy' })
    expect(await first.get('session')).toEqual(TOKENS)
  })

  it('a write before the question is settled is not touched by it', async () => {
    const original = new MapStorage()
    const open = tab(original)
    await open().set('session', TOKENS)
    const copy = open(copyOf(original))
    // The copy signs in anew at once: its own refresh token stays.
    await copy.set('session', { ...TOKENS, refreshToken: 'rt-of-the-copy' })
    expect(await copy.get('session')).toEqual({ ...TOKENS, refreshToken: 'rt-of-the-copy' })
  })

  it('keeps everything when no tab answers (a reload), after a wait of 100 ms on its clock', async () => {
    const clock = new ManualClock()
    const storage = new MapStorage()
    const open = tab(storage, clock)
    await open().set('session', TOKENS)
    // The tab that wrote it is gone (the page was reloaded): its id is one nobody holds now.
    const reloaded = new MapStorage()
    for (const [key, value] of storage.items)
      reloaded.items.set(key, key.endsWith('#tab') ? 'a page that is gone' : value)
    const store = open(reloaded)
    let read: unknown = 'pending'
    const reading = store.get('session').then((value) => {
      read = value
    })
    await clock.advance(99)
    expect(read).toBe('pending')
    await clock.advance(1)
    await reading
    expect(read).toEqual(TOKENS)
    expect(reloaded.items.get(`${store.prefix}#tab`)).toBe('a page that is gone')
  })

  it('more stores on the same storage (the same tab) are no copy, and are answered at once', async () => {
    const storage = new MapStorage()
    const open = tab(storage)
    await open().set('session', TOKENS)
    // Two more start together: each asker's probe is its own.
    expect(await Promise.all([open().get('session'), open().get('session')])).toEqual([
      TOKENS,
      TOKENS,
    ])
    expect([...storage.items.keys()].sort()).toEqual([
      `${open().prefix}#tab`,
      `${open().prefix}session`,
    ])
  })

  it('asks nothing with a storage of its own (e.g. localStorage, shared by every tab) unless told', async () => {
    const storage = new MapStorage()
    const shared = new SessionStorageStore({ storage, prefix: 'shared-test:' })
    await shared.set('session', TOKENS)
    const otherTab = new SessionStorageStore({ storage: copyOf(storage), prefix: 'shared-test:' })
    expect(await otherTab.get('session')).toEqual(TOKENS)
    expect([...storage.items.keys()]).toEqual(['shared-test:session'])
  })
})
