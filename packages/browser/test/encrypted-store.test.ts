// The browser EncryptedStore with an explicit key runs on WebCrypto alone, so it is checked here;
// the default key kept in IndexedDB is exercised in Chromium by the Playwright suites.
import { EncryptedStore as CoreEncryptedStore, MemoryStore } from '@openrp/core'
import { describe, expect, it } from 'vitest'
import { EncryptedStore } from '../src/encrypted-store.ts'

const secret = { accessToken: 'at-SECRET', refreshToken: 'rt-SECRET' }
const newKey = () =>
  crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])

describe('EncryptedStore (browser)', () => {
  it('round-trips and leaves only ciphertext in the inner store', async () => {
    const inner = new MemoryStore()
    const store = new EncryptedStore(inner, { key: await newKey() })
    await store.set('session', secret)
    expect(await store.get('session')).toEqual(secret)
    expect(JSON.stringify(await inner.get('session'))).not.toContain('SECRET')
    await store.delete('session')
    expect(await store.get('session')).toBeUndefined()
  })

  it('detects tampering, a moved ciphertext and a wrong key with STORE_ERROR', async () => {
    const inner = new MemoryStore()
    const store = new EncryptedStore(inner, { key: await newKey() })
    await store.set('a', secret)
    const envelope = (await inner.get<{ ct: string }>('a'))!
    const flipped = envelope.ct.startsWith('A')
      ? `B${envelope.ct.slice(1)}`
      : `A${envelope.ct.slice(1)}`
    await inner.set('tampered', { ...envelope, ct: flipped })
    await expect(store.get('tampered')).rejects.toMatchObject({ code: 'STORE_ERROR' })
    await inner.set('moved', envelope)
    await expect(store.get('moved')).rejects.toMatchObject({ code: 'STORE_ERROR' })
    const other = new EncryptedStore(inner, { key: await newKey() })
    await expect(other.get('a')).rejects.toMatchObject({ code: 'STORE_ERROR' })
  })

  it("reads what @openrp/core's (and so @openrp/node's) EncryptedStore wrote with the same key", async () => {
    const inner = new MemoryStore()
    const key = await newKey()
    await new CoreEncryptedStore(inner, { key }).set('k', secret)
    const store = new EncryptedStore(inner, { key })
    expect(store).toBeInstanceOf(CoreEncryptedStore)
    expect(await store.get('k')).toEqual(secret)
  })

  it('writes the envelope format shared with @openrp/node (v, alg, iv, ct)', async () => {
    const inner = new MemoryStore()
    await new EncryptedStore(inner, { key: await newKey() }).set('k', 1)
    expect(await inner.get('k')).toEqual({
      v: 1,
      alg: 'A256GCM',
      iv: expect.stringMatching(/^[\w-]{16}$/),
      ct: expect.stringMatching(/^[\w-]+$/),
    })
  })

  it('refuses a key that is not AES-GCM with INVALID_ARGUMENT', async () => {
    const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    expect(() => new EncryptedStore(new MemoryStore(), { key: hmac })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })
})
