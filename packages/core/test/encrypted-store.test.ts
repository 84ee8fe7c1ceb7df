// The envelope itself (round trip, tampering, moved ciphertext, wrong key, raw-byte keys) is
// exercised through @openrp/node's and @openrp/browser's EncryptedStore, which are this class;
// here: what only core's constructor offers, and inputs those suites do not reach.
import { describe, expect, it } from 'vitest'
import { EncryptedStore } from '../src/encrypted-store.ts'
import { MemoryStore } from '../src/memory-store.ts'

const newKey = () =>
  crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])

describe('EncryptedStore (core)', () => {
  it('calls a key function on first use, once for concurrent callers, again after it failed', async () => {
    const key = await newKey()
    let calls = 0
    const store = new EncryptedStore(new MemoryStore(), {
      key: async () => {
        calls++
        if (calls === 1) throw new Error('key store unavailable')
        return key
      },
    })
    expect(calls).toBe(0)
    await expect(store.set('k', 1)).rejects.toThrow('key store unavailable')
    await Promise.all([store.set('a', 1), store.set('b', 2), store.get('a')])
    expect(calls).toBe(2)
    expect(await store.get('b')).toBe(2)
    expect(calls).toBe(2)
  })

  it('refuses what a key function gives when it is not an AES-GCM key, with STORE_ERROR', async () => {
    const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    const store = new EncryptedStore(new MemoryStore(), { key: async () => hmac })
    await expect(store.set('k', 1)).rejects.toMatchObject({ code: 'STORE_ERROR' })
  })

  it('refuses a CryptoKey that is not AES-GCM at construction with INVALID_ARGUMENT', async () => {
    const encryptOnly = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
    ])
    expect(() => new EncryptedStore(new MemoryStore(), { key: encryptOnly })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('passes get options (fresh) on to the store it wraps', async () => {
    const seen: unknown[] = []
    const inner = new (class extends MemoryStore {
      override get<T>(key: string, options?: { fresh?: boolean }): Promise<T | undefined> {
        seen.push(options)
        return super.get<T>(key)
      }
    })()
    const store = new EncryptedStore(inner, { key: await newKey() })
    await store.set('k', { accessToken: 'at' })
    expect(await store.get('k', { fresh: true })).toEqual({ accessToken: 'at' })
    await store.get('k')
    expect(seen).toEqual([{ fresh: true }, undefined])
  })

  it('gives STORE_ERROR for an envelope whose iv or ct is not base64url', async () => {
    const inner = new MemoryStore()
    const store = new EncryptedStore(inner, { key: await newKey() })
    await store.set('k', { accessToken: 'at' })
    const envelope = (await inner.get<Record<string, string>>('k'))!
    for (const field of ['iv', 'ct']) {
      await inner.set('bad', { ...envelope, [field]: '***' })
      await expect(store.get('bad')).rejects.toMatchObject({ code: 'STORE_ERROR' })
    }
  })

  it('refuses a value with no JSON form with STORE_ERROR and keeps the old one', async () => {
    const inner = new MemoryStore()
    const store = new EncryptedStore(inner, { key: await newKey() })
    await store.set('k', 'old')
    await expect(store.set('k', 10n)).rejects.toMatchObject({ code: 'STORE_ERROR' })
    expect(await store.get('k')).toBe('old')
  })

  it('keeps its own copy of raw key bytes: wiping the caller’s buffer changes nothing', async () => {
    const inner = new MemoryStore()
    const bytes = crypto.getRandomValues(new Uint8Array(32))
    const original = bytes.slice()
    const store = new EncryptedStore(inner, { key: bytes })
    // The app wipes its copy of the secret once the store is made.
    bytes.fill(0)
    await store.set('k', { refreshToken: 'rt' })
    expect(await new EncryptedStore(inner, { key: original }).get('k')).toEqual({
      refreshToken: 'rt',
    })
    await expect(
      new EncryptedStore(inner, { key: new Uint8Array(32) }).get('k'),
    ).rejects.toMatchObject({ code: 'STORE_ERROR' })
  })
})
