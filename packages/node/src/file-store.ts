/**
 * A {@link Store} on the local file system, for CLIs and single-host services.
 *
 * @module
 */
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidArgumentError, StoreError, type Store, type StoreSetOptions } from '@openrp/core'
import { toStoredJson, ttlSecToMs } from '@openrp/core/adapters'

/** Options of {@link FileStore}. */
export interface FileStoreOptions {
  /** Directory of the store; created with mode 0700 when missing. */
  dir: string
  /** Clock in epoch milliseconds (tests). Defaults to `Date.now`. */
  now?: () => number
}

/** What one file holds. `key` makes a file self-describing (its name is a hash). */
interface FileEnvelope {
  v: 1
  key: string
  /** Epoch ms after which the value is gone; absent = no TTL. */
  expiresAt?: number
  value: unknown
}

const TEMP_SUFFIX = '.tmp'
/** Temp files older than this are leftovers of a crashed writer and are removed. */
const STALE_TEMP_MS = 60_000

/**
 * Keeps each key in its own JSON file, `<sha256(key)>.json`, in `dir` (mode 0700), each file
 * mode 0600.
 *
 * One file per key, not one file for all: writers of different keys (two sessions, two
 * processes) never rewrite each other's data, so no read-modify-write of a shared file and no
 * lost update; a corrupt file affects one key only.
 *
 * Writes are atomic: the value goes to a temp file in the same directory, is fsync'ed, then
 * renamed over the old file (and the directory is fsync'ed). A crash at any point leaves the
 * old file or the new one, never a torn mix; a failed `set` leaves the old value in place.
 * A file that is not a valid store file gives a `StoreError` on `get` and is left untouched
 * for inspection, never silently overwritten by a read.
 *
 * Writers of the same key in several processes are last-writer-wins. When that matters, give
 * the code that writes a {@link FileLock} on the same host: a `TokenManager` with
 * `store: new FileStore({ dir })` and `lock: new FileLock({ dir })` refreshes a session once
 * however many processes (runs of a CLI) need it, so no refresh token is replayed.
 *
 * @example
 * ```ts
 * import { FileStore } from '@openrp/node'
 * const store = new FileStore({ dir: join(homedir(), '.config', 'my-cli', 'tokens') })
 * await store.set('default', tokenSet.toJSON())
 * ```
 */
export class FileStore implements Store {
  readonly dir: string
  readonly #now: () => number
  #dirReady: Promise<void> | undefined

  constructor(options: FileStoreOptions) {
    if (!options || typeof options.dir !== 'string' || options.dir === '') {
      throw new InvalidArgumentError('FileStore needs a dir')
    }
    this.dir = options.dir
    this.#now = options.now ?? Date.now
  }

  /** The file that holds `key`. */
  pathOf(key: string): string {
    return join(this.dir, `${createHash('sha256').update(key).digest('hex')}.json`)
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const path = this.pathOf(key)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined
      throw new StoreError(`FileStore could not read ${path}`, { cause: error })
    }
    const envelope = parseEnvelope(text, key)
    if (!envelope) throw new StoreError(`FileStore file ${path} is corrupt`)
    // Expired: nothing. The file is left for the next set or delete to replace: removing it
    // here could remove a fresh value another process has just renamed into place.
    if (envelope.expiresAt !== undefined && envelope.expiresAt <= this.#now()) return undefined
    return envelope.value as T
  }

  async set(key: string, value: unknown, options: StoreSetOptions = {}): Promise<void> {
    const ttlMs = ttlSecToMs(options.ttlSec)
    const expiresAt = ttlMs === undefined ? undefined : this.#now() + ttlMs
    const valueJson = toStoredJson(value)
    const header = JSON.stringify({ v: 1, key, expiresAt } satisfies Omit<FileEnvelope, 'value'>)
    const text = `${header.slice(0, -1)},"value":${valueJson}}`
    await this.#ensureDir()
    try {
      await writeAtomically(this.dir, this.pathOf(key), text)
    } catch (error) {
      // The directory was removed after it was made (`rm -rf` to log out, a temp cleaner):
      // make it again, once, rather than fail every later write.
      if (!(error instanceof StoreError && errnoOf(error.cause) === 'ENOENT')) throw error
      this.#dirReady = undefined
      await this.#ensureDir()
      await writeAtomically(this.dir, this.pathOf(key), text)
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key))
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') {
        throw new StoreError('FileStore could not delete a file', { cause: error })
      }
    }
  }

  #ensureDir(): Promise<void> {
    this.#dirReady ??= (async () => {
      try {
        await mkdir(this.dir, { recursive: true, mode: 0o700 })
      } catch (error) {
        throw new StoreError(`FileStore could not create ${this.dir}`, { cause: error })
      }
      await removeStaleTemps(this.dir, this.#now())
    })().catch((error: unknown) => {
      this.#dirReady = undefined
      throw error
    })
    return this.#dirReady
  }
}

async function writeAtomically(dir: string, path: string, text: string): Promise<void> {
  const temp = `${path}.${randomUUID()}${TEMP_SUFFIX}`
  try {
    const handle = await open(temp, 'wx', 0o600)
    try {
      await handle.writeFile(text, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (error) {
    await unlink(temp).catch(() => {})
    throw new StoreError(`FileStore could not write ${path}; the previous value is unchanged`, {
      cause: error,
    })
  }
  await syncDir(dir)
}

/** Makes the rename durable. Some platforms cannot open a directory; the rename still holds. */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {}
}

async function removeStaleTemps(dir: string, nowMs: number): Promise<void> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return
  }
  for (const name of names) {
    if (!name.endsWith(TEMP_SUFFIX)) continue
    const path = join(dir, name)
    try {
      if (nowMs - (await stat(path)).mtimeMs > STALE_TEMP_MS) await unlink(path)
    } catch {}
  }
}

function parseEnvelope(text: string, key: string): FileEnvelope | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const envelope = parsed as Partial<FileEnvelope>
  if (envelope.v !== 1 || envelope.key !== key || !('value' in envelope)) return undefined
  if (envelope.expiresAt !== undefined && typeof envelope.expiresAt !== 'number') return undefined
  return envelope as FileEnvelope
}

function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined
}
