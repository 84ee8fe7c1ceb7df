// FileLock tells fn when its lock file is lost (LockLease.signal), and its takeover of an
// expired lock moves only the very file it found expired.
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isOpenRpError } from '@openrp/core'
import { ManualClock } from '@openrp/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileLock, takeOverExpired } from '../src/file-lock.ts'
import { advanceUntilSettled, advanceWithIo, settleIo } from './helpers/clock.ts'

/** Resolves with the time on `clock` the signal aborted, and its reason. */
function aborted(
  signal: AbortSignal,
  clock: ManualClock,
): Promise<{ at: number; reason: unknown }> {
  return new Promise((resolve) => {
    signal.addEventListener('abort', () => resolve({ at: clock.now(), reason: signal.reason }), {
      once: true,
    })
  })
}

// Renewals every 300 ms of the manual clock.
const LEASE_MS = 900

let dir: string
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'openrp-filelock-lease-')), 'locks')
})
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true })
})

describe('FileLock lease loss', () => {
  const thefts = {
    'replaced by another process’s lock': (path: string) =>
      writeFile(path, '{"token":"someone-else","pid":1,"host":"h"}'),
    deleted: (path: string) => rm(path),
    // The window a takeover leaves: a waiter moved this fresh lock aside (to put it back) and
    // a third process created its own before it could.
    'moved aside by a takeover while a third process created one': async (path: string) => {
      await rename(path, `${path}.aside.tmp`)
      await writeFile(path, '{"token":"third","pid":1,"host":"h"}')
    },
  }
  for (const [what, steal] of Object.entries(thefts)) {
    it(`aborts lease.signal with LOCK_LOST at the next renewal when the lock file is ${what}`, async () => {
      const clock = new ManualClock()
      const lock = new FileLock({ dir, leaseMs: LEASE_MS, clock })
      const path = lock.pathOf('k')
      const acquiredAt = clock.now()
      const holding = lock.withLock('k', async ({ signal }) => {
        await advanceWithIo(clock, LEASE_MS / 2)
        // The renewal at LEASE_MS / 3 found the file still ours.
        expect(signal.aborted).toBe(false)
        const abort = aborted(signal, clock)
        await steal(path)
        const settling = advanceUntilSettled(clock, abort)
        const { at, reason } = await abort
        await settling
        // The next renewal (at 2 / 3 of the lease) finds it, before the lease would end.
        expect(isOpenRpError(reason, 'LOCK_LOST')).toBe(true)
        expect((reason as Error).message).toMatch(/taken by another holder or removed/)
        expect(at - acquiredAt).toBe((LEASE_MS * 2) / 3)
      })
      await holding
      // Release left whatever is there now alone.
      if (what !== 'deleted') expect(await readFile(path, 'utf8')).toMatch(/someone-else|third/)
    })
  }

  it('never aborts a holder whose fn runs for several leases, and keeps others out', async () => {
    const clock = new ManualClock()
    const lock = new FileLock({ dir, leaseMs: LEASE_MS, clock })
    const other = new FileLock({ dir, leaseMs: LEASE_MS, clock })
    let signal: AbortSignal | undefined
    await lock.withLock('k', async (lease) => {
      signal = lease.signal
      const waiting = other
        .withLock('k', async () => 'taken', { timeoutMs: LEASE_MS * 3 })
        .catch((e: unknown) => e)
      expect(await advanceUntilSettled(clock, waiting)).toBe(LEASE_MS * 3)
      expect(isOpenRpError(await waiting, 'LOCK_TIMEOUT')).toBe(true)
      expect(lease.signal.aborted).toBe(false)
    })
    expect(signal?.aborted).toBe(false)
  })

  it('aborts when the lock file cannot be touched for a whole lease', async () => {
    const clock = new ManualClock()
    const lock = new FileLock({ dir, leaseMs: LEASE_MS, clock })
    const path = lock.pathOf('k')
    const acquiredAt = clock.now()
    await lock.withLock('k', async ({ signal }) => {
      await advanceWithIo(clock, LEASE_MS / 2)
      const abort = aborted(signal, clock)
      // A directory where the file was: every renewal fails (EISDIR), none says "not ours".
      await rename(path, `${path}.mine.tmp`)
      await mkdir(path)
      const settling = advanceUntilSettled(clock, abort)
      const { at, reason } = await abort
      await settling
      expect(isOpenRpError(reason, 'LOCK_LOST')).toBe(true)
      // Not at the failed renewals (2 / 3 and 3 / 3 of the lease): a whole lease after the last
      // one that succeeded (1 / 3).
      expect(at - acquiredAt).toBe(LEASE_MS / 3 + LEASE_MS)
      expect((reason as Error).message).toMatch(/could not be renewed/)
    })
  })
})

describe('FileLock takeover of an expired lock', () => {
  /** An expired lock file at `path`, and its stat as a waiter saw it. */
  async function expiredLock(path: string, clock?: ManualClock) {
    await mkdir(dir, { recursive: true })
    await writeFile(path, '{"token":"crashed","pid":1,"host":"h"}')
    const old = new Date((clock?.now() ?? Date.now()) - 10 * LEASE_MS)
    await utimes(path, old, old)
    return stat(path)
  }

  const leftovers = async () => (await readdir(dir)).filter((n) => n.endsWith('.aside'))

  it('removes the expired file it saw', async () => {
    const path = new FileLock({ dir, leaseMs: LEASE_MS }).pathOf('k')
    const seen = await expiredLock(path)
    await takeOverExpired(path, seen)
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await leftovers()).toEqual([])
  })

  it('puts back a fresh lock another waiter created after taking the expired one over', async () => {
    const clock = new ManualClock()
    const lock = new FileLock({ dir, leaseMs: LEASE_MS, clock })
    const path = lock.pathOf('k')
    const seen = await expiredLock(path, clock)
    // Between our stat and our rename, another waiter took over and now holds a fresh lock.
    let release!: () => void
    const holding = new Promise<void>((r) => (release = r))
    let holderSignal!: AbortSignal
    await rm(path)
    const held = lock.withLock('k', async ({ signal }) => {
      holderSignal = signal
      await holding
    })
    await settleIo()
    const fresh = await stat(path)
    await takeOverExpired(path, seen)
    const after = await stat(path)
    expect(after.ino).toBe(fresh.ino)
    // Its holder keeps the lock: not reported lost (through its renewals), and nobody else
    // gets it.
    const waiting = new FileLock({ dir, leaseMs: LEASE_MS, clock })
      .withLock('k', async () => {}, { timeoutMs: LEASE_MS })
      .catch((e: unknown) => e)
    await advanceUntilSettled(clock, waiting)
    expect(await waiting).toMatchObject({ code: 'LOCK_TIMEOUT' })
    expect(holderSignal.aborted).toBe(false)
    release()
    await held
    expect(await leftovers()).toEqual([])
  })

  it('puts back a lock that replaced the expired one even when its mtime looks old (another host’s clock)', async () => {
    const path = new FileLock({ dir, leaseMs: LEASE_MS }).pathOf('k')
    const seen = await expiredLock(path)
    // Another waiter took over; its new lock file carries a modification time that looks as
    // old as the expired one (written through a file server whose clock lags).
    await rm(path)
    await writeFile(path, '{"token":"new-holder","pid":2,"host":"h2"}')
    const old = new Date(Date.now() - 5 * LEASE_MS)
    await utimes(path, old, old)
    await takeOverExpired(path, seen)
    expect(await readFile(path, 'utf8')).toContain('new-holder')
    expect(await leftovers()).toEqual([])
  })

  it('puts back the expired file when its holder renewed it meanwhile (it was only slow)', async () => {
    const path = new FileLock({ dir, leaseMs: LEASE_MS }).pathOf('k')
    const seen = await expiredLock(path)
    const now = new Date()
    await utimes(path, now, now)
    await takeOverExpired(path, seen)
    expect((await stat(path)).ino).toBe(seen.ino)
    expect(await readFile(path, 'utf8')).toContain('crashed')
  })
})
