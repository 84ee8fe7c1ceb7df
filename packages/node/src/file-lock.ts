/**
 * A {@link Lock} on the local file system: mutual exclusion across the processes of one host.
 *
 * @module
 */
import { createHash, randomUUID } from 'node:crypto'
import type { Stats } from 'node:fs'
import { link, lstat, mkdir, open, readFile, rename, unlink, utimes } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import {
  type Clock,
  InvalidArgumentError,
  type Lock,
  type LockLease,
  type LockOptions,
  LockTimeoutError,
  StoreError,
  sleep,
  systemClock,
} from '@openrp/core'
import { holdLease, leaseMsOf, leaseTimeOf } from './internal/lease.ts'

/** Options of {@link FileLock}. */
export interface FileLockOptions {
  /**
   * Directory of the lock files; created with mode 0700 when missing. It may be the directory
   * of a {@link FileStore}: lock files end in `.lock` (`.aside` while one is moved aside to be
   * removed), store files in `.json` (`.tmp` while written), so neither touches the other's.
   */
  dir: string
  /**
   * Lease of a held lock in whole ms, from 100 to 2^31 - 1 (default 15000). While `fn` runs
   * the lock file is touched every third of it; a lock file not touched for a whole lease
   * belongs to a holder that crashed (or hangs) and is taken over by the next waiter. A holder
   * that finds its lock file gone or another's, or cannot touch it for a whole lease, is told
   * through `lease.signal` (LOCK_LOST).
   */
  leaseMs?: number
  /** Default wait before LockTimeoutError when `withLock` gets no `timeoutMs` (30000). */
  timeoutMs?: number
  /**
   * Clock of every decision this lock makes (default `systemClock`): the times it writes as a
   * lock file's modification time, whether a lock file has expired, the renewal timer, waits
   * and their timeout. Processes sharing a directory must share a clock; tests pass a manual one.
   *
   * @example
   * ```ts
   * const lock = new FileLock({ dir, leaseMs: 900, clock: manualClock })
   * ```
   */
  clock?: Clock
}

/** What a lock file holds: who took it (for people looking at the directory, and release). */
interface LockFileContent {
  token: string
  pid: number
  host: string
}

/**
 * One lock file per name, `<sha256(name)>.lock` in `dir`, created with `open(path, 'wx')`:
 * the file system lets exactly one process create it. The file holds a random token of this
 * acquisition; its modification time is the lease, set from the lock's clock when the file is
 * created and renewed every third of `leaseMs` while `fn` runs. Waiters poll with capped, jittered backoff until `timeoutMs`, then reject with
 * `LockTimeoutError` (code `LOCK_TIMEOUT`).
 *
 * A lock whose lease ran out (its holder crashed) is taken over: the waiter renames the file
 * aside, checks that what it moved is the very file it found expired (same inode, same
 * modification time), and otherwise puts it back with `link` (which never replaces a file),
 * then competes for the lock like any other waiter. Release compares the token, then renames
 * the file aside and compares again before removing it (putting back with `link` a file that is
 * not its own), so a holder whose lease ran out never deletes the lock of the process that took
 * over, even one created between its check and its removal. Whatever
 * takes the path is a lock file: a symlink (even one to nowhere) by its own modification time.
 *
 * The lease can be lost while `fn` runs: the lock file was deleted, replaced by another
 * process's, or not touched for a whole lease (file system errors, an event loop stalled past
 * the lease). Then `lease.signal` aborts with `LockLostError` (code `LOCK_LOST`), at the next
 * renewal (every third of `leaseMs`) or once the lease has passed. `fn` is not stopped; it
 * should check the signal before anything that must not be done twice.
 *
 * One window remains in the takeover of an expired lock. Between the waiter's stat and its
 * rename, another waiter may take the expired lock over and create a fresh one; the first
 * waiter then moves that fresh lock aside, sees it is not the file it found expired, and links
 * it back. If a third process creates a lock in the short moment while the path is empty, the
 * link fails and the fresh lock is gone: its holder and the third process both believe they
 * hold the lock. The holder learns it at its next renewal (its file is gone or another's) and
 * its signal aborts; until then both may be inside `fn`. A renewal that runs while the file is
 * aside (before it is linked back) also reports the lock lost, which is safe. A release has the
 * same window, narrower still: only when a waiter took the lock over between the release's check
 * and its rename, and a third process creates a lock while that waiter's file is aside. Where
 * exclusion must be stronger than this, use RedisLock.
 *
 * Pair it with a {@link FileStore} for a `TokenManager` shared by the processes of one host
 * (several runs of a CLI): only one process refreshes, the others read the rotated tokens.
 *
 * File system failures (the directory cannot be created, a permission error) are
 * `StoreError` (code `STORE_ERROR`).
 *
 * @example
 * ```ts
 * import { TokenManager } from '@openrp/core'
 * import { FileLock, FileStore } from '@openrp/node'
 * const dir = join(homedir(), '.config', 'my-cli', 'tokens')
 * const tokens = new TokenManager({
 *   client,
 *   store: new FileStore({ dir }),
 *   lock: new FileLock({ dir }),
 *   key: 'default',
 * })
 * const accessToken = await tokens.getAccessToken()
 * ```
 */
export class FileLock implements Lock {
  readonly dir: string
  readonly #leaseMs: number
  readonly #timeoutMs: number
  readonly #clock: Clock
  #dirReady: Promise<void> | undefined

  constructor(options: FileLockOptions) {
    if (!options || typeof options.dir !== 'string' || options.dir === '') {
      throw new InvalidArgumentError('FileLock needs a dir')
    }
    this.dir = options.dir
    this.#leaseMs = leaseMsOf(options.leaseMs)
    this.#timeoutMs = options.timeoutMs ?? 30_000
    this.#clock = options.clock ?? systemClock
    if (!(this.#timeoutMs >= 0)) throw new InvalidArgumentError('timeoutMs must be >= 0')
  }

  /** The lock file of `name`. */
  pathOf(name: string): string {
    return join(this.dir, `${createHash('sha256').update(name).digest('hex')}.lock`)
  }

  async withLock<T>(
    name: string,
    fn: (lease: LockLease) => Promise<T>,
    options: LockOptions = {},
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs
    if (!(timeoutMs >= 0)) throw new InvalidArgumentError('timeoutMs must be >= 0')
    const path = this.pathOf(name)
    const token = randomUUID()
    await this.#ensureDir()
    const acquiredAt = await this.#acquire(path, token, name, timeoutMs)
    return holdLease(
      {
        name,
        leaseMs: this.#leaseMs,
        acquiredAt,
        clock: this.#clock,
        renew: () => renew(path, token, new Date(this.#clock.now())),
        release: () => release(path, token),
      },
      fn,
    )
  }

  /** Takes the lock; resolves with when (lease time) the lock file was created. */
  async #acquire(path: string, token: string, name: string, timeoutMs: number): Promise<number> {
    const clock = this.#clock
    const leaseTime = leaseTimeOf(clock)
    const deadline = clock.now() + timeoutMs
    const content: LockFileContent = { token, pid: process.pid, host: hostname() }
    let delay = 5
    let lastChance = false
    for (;;) {
      const attemptAt = leaseTime()
      const created = await this.#tryCreate(path, JSON.stringify(content), new Date(clock.now()))
      if (created) return attemptAt
      const current = await statOrUndefined(path)
      const expired = current !== undefined && clock.now() - current.mtimeMs > this.#leaseMs
      if (expired) await takeOverExpired(path, current)
      const remaining = deadline - clock.now()
      // Released or taken over meanwhile: try again at once, once more even past the deadline
      // (so that `timeoutMs: 0` takes over the lock a crashed holder left).
      if ((expired || !current) && !lastChance) {
        lastChance = remaining <= 0
        continue
      }
      if (remaining <= 0) throw new LockTimeoutError(name, timeoutMs)
      await sleep(clock, Math.min(remaining, delay / 2 + Math.random() * delay))
      delay = Math.min(delay * 2, 100)
    }
  }

  /** {@link tryCreate}, making the directory again if it was removed after it was made. */
  async #tryCreate(path: string, content: string, now: Date): Promise<boolean> {
    try {
      return await tryCreate(path, content, now)
    } catch (error) {
      if (!(error instanceof StoreError && errnoOf(error.cause) === 'ENOENT')) throw error
      this.#dirReady = undefined
      await this.#ensureDir()
      return tryCreate(path, content, now)
    }
  }

  #ensureDir(): Promise<void> {
    this.#dirReady ??= mkdir(this.dir, { recursive: true, mode: 0o700 }).then(
      () => {},
      (error: unknown) => {
        this.#dirReady = undefined
        throw new StoreError(`FileLock could not create ${this.dir}`, { cause: error })
      },
    )
    return this.#dirReady
  }
}

/**
 * Removes the expired lock file at `path` that `expired` describes (an lstat of it). It is
 * renamed aside first (one process wins the rename) and removed only if what was moved is that
 * very file, unchanged (same device, inode and modification time). Anything else (a fresh lock
 * another waiter created after taking the expired one over, or the expired one renewed by a
 * holder that was only slow) is put back, unless a lock was created at `path` meanwhile: `link`
 * never replaces a file. Exported for tests only; not part of the package's API.
 *
 * @internal
 */
export async function takeOverExpired(path: string, expired: Stats): Promise<void> {
  const aside = asideOf(path)
  try {
    await rename(path, aside)
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return
    throw new StoreError('FileLock could not take over an expired lock', { cause: error })
  }
  try {
    const moved = await lstat(aside)
    const same =
      moved.dev === expired.dev && moved.ino === expired.ino && moved.mtimeMs === expired.mtimeMs
    if (!same) await link(aside, path).catch(() => {})
  } finally {
    await unlink(aside).catch(() => {})
  }
}

/**
 * A unique name for the lock file at `path` moved aside. Never `.tmp`: a FileStore sharing the
 * directory removes `.tmp` files a minute old as a crashed writer's leftovers, and a lock file
 * moved aside may be a lock to put back, or look that old (its holder's clock, a file server's).
 */
function asideOf(path: string): string {
  return `${path}.${randomUUID()}.aside`
}

/** Creates the lock file, modified at `now`; false when it exists already. */
async function tryCreate(path: string, content: string, now: Date): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, 'wx', 0o600)
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') return false
    throw new StoreError(`FileLock could not create ${path}`, { cause: error })
  }
  try {
    await handle.writeFile(content, 'utf8')
    await handle.utimes(now, now)
  } catch (error) {
    await unlink(path).catch(() => {})
    throw new StoreError(`FileLock could not write ${path}`, { cause: error })
  } finally {
    await handle.close()
  }
  return true
}

/**
 * Touches the lock file (to `now`) while it is still ours (its token), extending the lease: `true`. `false`
 * when the file is gone or holds another token (the lock is lost); throws when the file system
 * fails (the lease may still be ours: the next renewal tries again).
 */
async function renew(path: string, token: string, now: Date): Promise<boolean> {
  if ((await readToken(path)) !== token) return false
  try {
    await utimes(path, now, now)
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false
    throw error
  }
  return true
}

/**
 * Deletes the lock file only if it still holds our token. Once the token is seen, the file is
 * renamed aside and its token read again there: a waiter that took the lock over in between (our
 * lease ran out) created a new lock file, which was moved instead. That one is put back with
 * `link`, which never replaces a file, and only our own is removed.
 */
async function release(path: string, token: string): Promise<void> {
  if ((await readToken(path)) !== token) return
  const aside = asideOf(path)
  try {
    await rename(path, aside)
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return
    throw error
  }
  try {
    // Unreadable: not known to be ours, so put back (a lock of ours then runs out on its own).
    const ours = (await readToken(aside).catch(() => undefined)) === token
    if (!ours) await link(aside, path).catch(() => {})
  } finally {
    await unlink(aside).catch(() => {})
  }
}

async function readToken(path: string): Promise<string | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined
    throw error
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockFileContent> | null
    return typeof parsed?.token === 'string' ? parsed.token : undefined
  } catch {
    return undefined
  }
}

/**
 * The lock file itself, not what it may link to: anything at the path holds the lock, so a
 * symlink (even a dangling one, which `open(path, 'wx')` finds taken) is a lock file whose
 * lease is its own modification time, taken over once that is a lease old.
 */
async function statOrUndefined(path: string) {
  try {
    return await lstat(path)
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined
    throw new StoreError(`FileLock could not read ${path}`, { cause: error })
  }
}

function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined
}
