import { type ChildProcess, fork } from 'node:child_process'
import { renameSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bundledWorker } from '@openrp/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileStore } from '../src/file-store.ts'

let dir: string
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'openrp-filestore-')), 'tokens')
})
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true })
})

describe('FileStore', () => {
  it('round-trips JSON values per key and deletes them', async () => {
    const store = new FileStore({ dir })
    await store.set('alice', { accessToken: 'a' })
    await store.set('bob', [1, 2])
    expect(await store.get('alice')).toEqual({ accessToken: 'a' })
    expect(await store.get('bob')).toEqual([1, 2])
    await store.delete('alice')
    await store.delete('alice')
    expect(await store.get('alice')).toBeUndefined()
    expect(await new FileStore({ dir }).get('bob')).toEqual([1, 2])
  })

  it('creates the directory 0700 and files 0600', async () => {
    const store = new FileStore({ dir })
    await store.set('k', 'v')
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    expect((await stat(store.pathOf('k'))).mode & 0o777).toBe(0o600)
    await store.set('k', 'v2')
    expect((await stat(store.pathOf('k'))).mode & 0o777).toBe(0o600)
  })

  it('creates the directory again (0700) when it was removed after the first write', async () => {
    const store = new FileStore({ dir })
    await store.set('k', 'v')
    await rm(dir, { recursive: true })
    await store.set('k', 'v2')
    expect(await store.get('k')).toBe('v2')
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    expect((await stat(store.pathOf('k'))).mode & 0o777).toBe(0o600)
  })

  it('honours ttlSec', async () => {
    let now = 5_000_000
    const store = new FileStore({ dir, now: () => now })
    await store.set('k', 'v', { ttlSec: 1 })
    expect(await store.get('k')).toBe('v')
    now += 1000
    expect(await store.get('k')).toBeUndefined()
    await expect(store.set('k', 'v', { ttlSec: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })

  it('reading an expired value never removes a fresh one another process just wrote', async () => {
    const writer = new FileStore({ dir })
    await writer.set('k', 'fresh')
    const fresh = join(dir, 'fresh-copy')
    await rename(writer.pathOf('k'), fresh)
    await writer.set('k', 'old', { ttlSec: 1 })
    // The reader's clock is read right after it read the expired file: the other process's
    // rename lands in exactly that window.
    let armed = true
    const reader = new FileStore({
      dir,
      now: () => {
        if (armed) renameSync(fresh, writer.pathOf('k'))
        armed = false
        return Date.now() + 5000
      },
    })
    expect(await reader.get('k')).toBeUndefined()
    expect(await writer.get('k')).toBe('fresh')
  })

  it('gives STORE_ERROR for a corrupt file and leaves the file as it was', async () => {
    const store = new FileStore({ dir })
    await store.set('k', { ok: true })
    const path = store.pathOf('k')
    for (const garbage of [
      '{"v":1,"key":"k","value":{"ok":tr',
      'null',
      '{"v":1,"key":"other","value":1}',
    ]) {
      await writeFile(path, garbage)
      await expect(store.get('k')).rejects.toMatchObject({ code: 'STORE_ERROR' })
      expect(await readFile(path, 'utf8')).toBe(garbage)
    }
  })

  it('refuses a value that is not JSON and keeps the old value', async () => {
    const store = new FileStore({ dir })
    await store.set('k', 'old')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    await expect(store.set('k', cyclic)).rejects.toMatchObject({ code: 'STORE_ERROR' })
    await expect(store.set('k', undefined)).rejects.toMatchObject({ code: 'STORE_ERROR' })
    expect(await store.get('k')).toBe('old')
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })

  it('a failed write (rename impossible) rejects with STORE_ERROR and leaves no temp file', async () => {
    const store = new FileStore({ dir })
    await store.set('k', 'old')
    // Make the destination of 'k2' a non-empty directory: renaming the written temp file fails.
    const path = store.pathOf('k2')
    await mkdir(path)
    await writeFile(join(path, 'x'), 'occupied')
    await expect(store.set('k2', 'new')).rejects.toMatchObject({ code: 'STORE_ERROR' })
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([])
    expect(await readFile(join(path, 'x'), 'utf8')).toBe('occupied')
    expect(await store.get('k')).toBe('old')
  })

  it('a writer killed mid-write leaves the previous value readable, never a torn file', async () => {
    const store = new FileStore({ dir })
    await store.set('k', { generation: 1 })
    let killedMidWrite = false
    for (let attempt = 0; attempt < 4 && !killedMidWrite; attempt++) {
      // A bundle of the fixture under plain node (no tsx loader), built once for the file.
      const writer = await bundledWorker(
        join(import.meta.dirname, 'fixtures', 'file-store-writer.ts'),
      )
      const child = fork(writer, [dir, 'k', String(64 * 2 ** attempt)], {
        execArgv: [],
        stdio: 'ignore',
      })
      killedMidWrite = await killWhenTempAppears(child, dir)
      // Whatever happened, the file is either the old value or the complete new one.
      const value = await store.get<{ generation?: number; big?: string }>('k')
      if (value?.generation !== 1) expect(value?.big?.length).toBe(64 * 2 ** attempt * 1024 * 1024)
    }
    expect(killedMidWrite).toBe(true)
    expect(await store.get('k')).toEqual({ generation: 1 })
    // The leftover temp file does not disturb later writes.
    await store.set('k', { generation: 2 })
    expect(await store.get('k')).toEqual({ generation: 2 })
  }, 60_000)
})

async function killWhenTempAppears(child: ChildProcess, dir: string): Promise<boolean> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let done = false
  child.on('message', (m) => {
    if (m === 'done') done = true
  })
  for (;;) {
    const names = await readdir(dir).catch(() => [] as string[])
    if (names.some((n) => n.endsWith('.tmp'))) {
      child.kill('SIGKILL')
      await exited
      return !done && (await readdir(dir)).some((n) => n.endsWith('.tmp'))
    }
    if (done || child.exitCode !== null) {
      await exited
      return false
    }
    await new Promise((r) => setTimeout(r, 1))
  }
}
