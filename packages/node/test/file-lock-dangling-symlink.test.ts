/**
 * A dangling symlink at a lock file's path: `open(path, 'wx')` finds the path taken (EEXIST)
 * while `stat` follows the link and finds nothing, which read as "released meanwhile, try again
 * at once": the waiter retried without sleeping until its timeout, burning a core. The link is
 * now a lock file like any other: held while its modification time is within the lease, taken
 * over once it is older.
 */
import { lutimes, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '@openrp/core'
import { ManualClock } from '@openrp/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileLock } from '../src/file-lock.ts'
import { advanceUntilSettled } from './helpers/clock.ts'

let dir: string
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'openrp-filelock-link-')), 'locks')
  await mkdir(dir, { recursive: true })
})
afterEach(() => rm(join(dir, '..'), { recursive: true, force: true }))

/**
 * The lock's clock, counting how often it is read at one instant: every attempt to take the
 * lock reads it, so a waiter that retries without waiting on it reads it without end. Past
 * `limit` reads at one instant it throws, ending such a loop.
 */
function countingClock(clock: ManualClock, limit = 200): Clock & { readonly most: number } {
  let at = clock.now()
  let reads = 0
  let most = 0
  return {
    now() {
      if (clock.now() !== at) {
        at = clock.now()
        reads = 0
      }
      reads++
      most = Math.max(most, reads)
      if (reads > limit) throw new Error(`busy loop: the clock was read ${reads} times at once`)
      return at
    },
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle),
    get most() {
      return most
    },
  }
}

/** Puts a symlink to nowhere at the lock file path of `name`, modified at `mtimeMs`. */
async function danglingLink(lock: FileLock, name: string, mtimeMs: number): Promise<string> {
  const path = lock.pathOf(name)
  await symlink(join(dir, 'nowhere'), path)
  await lutimes(path, new Date(mtimeMs), new Date(mtimeMs))
  return path
}

describe('FileLock on a dangling symlink at the lock path', () => {
  it('takes over one older than the lease at once, and removes it', async () => {
    const manual = new ManualClock()
    const clock = countingClock(manual)
    const lock = new FileLock({ dir, leaseMs: 1000, clock })
    await danglingLink(lock, 'k', manual.now() - 5000)
    const taking = lock.withLock('k', async () => 'ok', { timeoutMs: 100 })
    expect(await advanceUntilSettled(manual, taking, 1)).toBe(0)
    expect(await taking).toBe('ok')
    expect(clock.most).toBeLessThan(20)
    expect(await readdir(dir)).toEqual([])
  })

  it('waits on its clock for one within the lease (LOCK_TIMEOUT), then takes it over', async () => {
    const manual = new ManualClock()
    const clock = countingClock(manual)
    const lock = new FileLock({ dir, leaseMs: 1000, clock })
    await danglingLink(lock, 'k', manual.now())
    const waiting = lock.withLock('k', async () => 'ok', { timeoutMs: 200 }).catch((e) => e)
    expect(await advanceUntilSettled(manual, waiting, 1)).toBe(200)
    expect(await waiting).toMatchObject({ code: 'LOCK_TIMEOUT' })
    expect(clock.most).toBeLessThan(20)
    // Its lease runs out 1000 ms after its modification time; 800 ms are left.
    const taking = lock.withLock('k', async () => 'ok', { timeoutMs: 5000 })
    const took = await advanceUntilSettled(manual, taking, 1)
    expect(took).toBeGreaterThan(800)
    expect(took).toBeLessThan(1000)
    expect(await taking).toBe('ok')
    expect(await readdir(dir)).toEqual([])
  })
})
