import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EncryptedStore as CoreEncryptedStore, MemoryStore } from '@openrp/core'
import { describe, expect, it } from 'vitest'
import { EncryptedStore } from '../src/index.ts'
import { FileStore } from '../src/file-store.ts'

const secretValue = { accessToken: 'at-SECRET-123', refreshToken: 'rt-SECRET-456' }

describe('EncryptedStore (node)', () => {
  it("is @openrp/core's EncryptedStore, so both read each other's envelopes", () => {
    expect(EncryptedStore).toBe(CoreEncryptedStore)
  })

  it('round-trips through a FileStore and leaves only ciphertext on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openrp-enc-'))
    try {
      const inner = new FileStore({ dir })
      const store = new EncryptedStore(inner, { key: randomBytes(32) })
      await store.set('tokens', secretValue, { ttlSec: 60 })
      expect(await store.get('tokens')).toEqual(secretValue)
      const onDisk = await readFile(inner.pathOf('tokens'), 'utf8')
      expect(onDisk).not.toContain('SECRET')
      expect(await inner.get('tokens')).toMatchObject({ v: 1, alg: 'A256GCM' })
      await store.delete('tokens')
      expect(await store.get('tokens')).toBeUndefined()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('accepts a non-extractable AES-GCM CryptoKey', async () => {
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ])
    const store = new EncryptedStore(new MemoryStore(), { key })
    await store.set('k', [1, 'two'])
    expect(await store.get('k')).toEqual([1, 'two'])
  })

  it('detects tampering with STORE_ERROR', async () => {
    const inner = new MemoryStore()
    const store = new EncryptedStore(inner, { key: randomBytes(32) })
    await store.set('k', secretValue)
    const envelope = (await inner.get<{ ct: string }>('k'))!
    const bytes = Buffer.from(envelope.ct, 'base64url')
    bytes[0] = bytes[0]! ^ 1
    await inner.set('k', { ...envelope, ct: bytes.toString('base64url') })
    await expect(store.get('k')).rejects.toMatchObject({ code: 'STORE_ERROR' })
  })

  it('refuses a ciphertext moved to another key (key bound as AAD)', async () => {
    const inner = new MemoryStore()
    const store = new EncryptedStore(inner, { key: randomBytes(32) })
    await store.set('alice', secretValue)
    await inner.set('mallory', await inner.get('alice'))
    await expect(store.get('mallory')).rejects.toMatchObject({ code: 'STORE_ERROR' })
  })

  it('refuses to decrypt with another key, and plaintext it did not write', async () => {
    const inner = new MemoryStore()
    await new EncryptedStore(inner, { key: randomBytes(32) }).set('k', secretValue)
    const other = new EncryptedStore(inner, { key: randomBytes(32) })
    await expect(other.get('k')).rejects.toMatchObject({ code: 'STORE_ERROR' })
    await inner.set('plain', secretValue)
    await expect(other.get('plain')).rejects.toMatchObject({ code: 'STORE_ERROR' })
  })

  it('rejects a key of the wrong size with INVALID_ARGUMENT', async () => {
    const store = new EncryptedStore(new MemoryStore(), { key: randomBytes(16) })
    await expect(store.set('k', 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
