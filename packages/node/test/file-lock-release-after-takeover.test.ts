/**
 * Regression: a FileLock holder whose lease ran out released in two steps, reading the lock
 * file's token and then unlinking the path. A waiter that took the expired lock over and created
 * its own lock file between the two steps lost it to that unlink: its holder and a third process
 * then both held the lock. Release now moves the file aside before removing it, and puts back
 * (with `link`, which never replaces a file) one that turns out not to be its own.
 *
 * The interleaving is made deterministic with the file system itself, no timing: the holder's
 * lock file is replaced by a named pipe (FIFO), so the release's read of the token blocks in
 * `open` until the test opens the pipe for writing. Meanwhile the waiter takes the lock over;
 * only then does the test write the holder's own token into the pipe and let the release go on.
 */
import { execFileSync } from 'node:child_process'
import { constants } from 'node:fs'
import {
  type FileHandle,
  lstat,
  mkdtemp,
  open,
  readdir,
  readFile,
  rename,
  rm,
  utimes,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { ManualClock } from '@openrp/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileLock } from '../src/file-lock.ts'
import { FileStore } from '../src/file-store.ts'

const LEASE_MS = 900

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'openrp-filelock-release-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The pipe's writing end once a reader is blocked in opening it (ENXIO until then). */
async function writerOnceRead(fifo: string): Promise<FileHandle> {
  for (let tries = 0; ; tries++) {
    try {
      return await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK)
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENXIO' || tries > 5_000) throw error
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
  }
}

/** A promise and its resolve function. */
function gate() {
  let open!: () => void
  const closed = new Promise<void>((resolve) => (open = resolve))
  return { closed, open }
}

describe('FileLock release after its lease ran out', () => {
  it.skipIf(process.platform === 'win32')(
    'never deletes the lock file of the waiter that took the lock over between its two steps',
    async () => {
      // The holder's clock stands still (no renewals); the waiter's is two leases ahead, so the
      // holder's lock file is expired to it.
      const holderClock = new ManualClock(Date.now())
      const waiterClock = new ManualClock(holderClock.now() + 2 * LEASE_MS)
      const holderLock = new FileLock({ dir, leaseMs: LEASE_MS, clock: holderClock })
      const waiterLock = new FileLock({ dir, leaseMs: LEASE_MS, clock: waiterClock })
      const path = holderLock.pathOf('k')

      const pipeInPlace = gate()
      let holderToken: string | undefined
      const holder = holderLock.withLock('k', async () => {
        holderToken = (JSON.parse(await readFile(path, 'utf8')) as { token: string }).token
        // The same lock file, read slowly: a pipe in its place, last touched when it was taken.
        const fifo = join(dir, 'slow.fifo')
        execFileSync('mkfifo', [fifo])
        const takenAt = new Date(holderClock.now())
        await utimes(fifo, takenAt, takenAt)
        await rename(fifo, path)
        pipeInPlace.open()
      })
      await pipeInPlace.closed

      let writer: FileHandle | undefined
      const waiterDone = gate()
      const waiterHolds = gate()
      let waiter: Promise<void> | undefined
      try {
        // The release's read of the token has the pipe open and waits for the token there.
        writer = await writerOnceRead(path)
        waiter = waiterLock.withLock('k', async () => {
          waiterHolds.open()
          await waiterDone.closed
        })
        await waiterHolds.closed
        const waiterFile = await readFile(path, 'utf8')
        // Now the release reads its own token and goes on.
        await writer.write(JSON.stringify({ token: holderToken, pid: process.pid, host: 'h' }))
        await writer.close()
        writer = undefined
        await holder

        expect(await readFile(path, 'utf8')).toBe(waiterFile)
        // Nobody else gets the lock while the waiter holds it.
        const third = new FileLock({ dir, leaseMs: LEASE_MS, clock: waiterClock })
        await expect(third.withLock('k', async () => {}, { timeoutMs: 0 })).rejects.toMatchObject({
          code: 'LOCK_TIMEOUT',
        })
      } finally {
        await writer?.close()
        waiterDone.open()
        await waiter?.catch(() => {})
        await holder.catch(() => {})
      }
      await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' })
      expect(await readdir(dir)).toEqual([])
    },
  )
})

describe('FileLock and a FileStore in one directory', () => {
  // A lock file moved aside (by a release or a takeover) was named `<lock>.<uuid>.tmp`, as a
  // FileStore's temp files are: a FileStore opened meanwhile removed it as a crashed writer's
  // leftover once it looked a minute old, and a lock that had to be put back was gone.
  it.skipIf(process.platform === 'win32')(
    "a FileStore's cleanup never removes a lock file that a release moved aside to put back",
    async () => {
      const clock = new ManualClock(Date.now())
      const lock = new FileLock({ dir, leaseMs: LEASE_MS, clock })
      const path = lock.pathOf('k')
      // Modified two minutes ago as the store's clock sees it (written on another host's clock,
      // through a file server).
      const old = new Date(Date.now() - 120_000)
      const pipeInPlace = gate()
      let ownToken: string | undefined
      const holder = lock.withLock('k', async () => {
        ownToken = (JSON.parse(await readFile(path, 'utf8')) as { token: string }).token
        // The lock file, read slowly: a pipe in its place.
        const fifo = join(dir, 'slow.fifo')
        execFileSync('mkfifo', [fifo])
        await rename(fifo, path)
        pipeInPlace.open()
      })
      await pipeInPlace.closed
      let writer: FileHandle | undefined
      try {
        // The release's first read finds its own token: it moves the file aside...
        writer = await writerOnceRead(path)
        await writer.write(JSON.stringify({ token: ownToken }))
        await writer.close()
        // ...and reads it again there, where it finds another's (a waiter took the lock over in
        // between): the file is to be put back. While that read waits, a FileStore opens.
        let aside: string | undefined
        for (let tries = 0; !aside; tries++) {
          if (tries > 5_000) throw new Error('the release moved nothing aside')
          aside = (await readdir(dir)).find((name) => name !== basename(path))
          if (!aside) await new Promise((resolve) => setTimeout(resolve, 1))
        }
        writer = await writerOnceRead(join(dir, aside))
        // Writing to the pipe touched it: back to the lock file's own time.
        await utimes(join(dir, aside), old, old)
        await new FileStore({ dir }).set('session', { v: 1 })
        await writer.write(JSON.stringify({ token: 'the-waiter' }))
        await writer.close()
        writer = undefined
        await holder
        // The waiter's lock is back in place: nobody else takes it.
        expect((await lstat(path)).isFIFO()).toBe(true)
      } finally {
        await writer?.close()
        await holder.catch(() => {})
      }
    },
  )
})
