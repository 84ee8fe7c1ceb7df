import { type ChildProcess, fork } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { discover, isOpenRpError, sleep, TokenSet } from '@openrp/core'
import { completeLogin, type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { bundledWorker, ManualClock, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FileLock } from '../src/file-lock.ts'
import { FileStore } from '../src/file-store.ts'
import { advanceUntilSettled, settleIo } from './helpers/clock.ts'

// The child processes run bundles of their fixtures under plain node (no tsx loader).
const HOLDER = join(import.meta.dirname, 'fixtures', 'file-lock-holder.ts')
const REFRESHER = join(import.meta.dirname, 'fixtures', 'file-lock-refresher.ts')

let dir: string
const children: ChildProcess[] = []
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'openrp-filelock-')), 'locks')
})
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await rm(join(dir, '..'), { recursive: true, force: true })
})

describe('FileLock', () => {
  it('runs holders of one name one at a time, across instances, and removes its file', async () => {
    const clock = new ManualClock()
    const a = new FileLock({ dir, clock })
    const b = new FileLock({ dir, clock })
    let inside = 0
    let most = 0
    const work = async () => {
      inside++
      most = Math.max(most, inside)
      await sleep(clock, 20)
      inside--
    }
    await advanceUntilSettled(
      clock,
      Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).withLock('refresh', work))),
      5,
    )
    expect(most).toBe(1)
    // Other names do not wait: no clock time passes.
    await a.withLock('refresh', () => b.withLock('other', async () => {}, { timeoutMs: 0 }))
    expect((await readdir(dir)).filter((n) => !n.startsWith('.'))).toEqual([])
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
  })

  it('creates the directory again (0700) when it was removed after the first lock', async () => {
    const lock = new FileLock({ dir })
    await lock.withLock('k', async () => {})
    await rm(dir, { recursive: true })
    expect(await lock.withLock('k', async () => 'ran', { timeoutMs: 0 })).toBe('ran')
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
  })

  it('rejects with LOCK_TIMEOUT when the lock stays held, and fn never runs', async () => {
    const clock = new ManualClock()
    const lock = new FileLock({ dir, clock })
    let release!: () => void
    const held = lock.withLock('k', () => new Promise<void>((r) => (release = r)))
    await settleIo()
    let ran = false
    const waiting = new FileLock({ dir, clock })
      .withLock(
        'k',
        async () => {
          ran = true
        },
        { timeoutMs: 200 },
      )
      .catch((e: unknown) => e)
    // Given up once 200 ms of its clock have passed, not before (steps of 1 ms).
    expect(await advanceUntilSettled(clock, waiting, 1)).toBe(200)
    expect(isOpenRpError(await waiting, 'LOCK_TIMEOUT')).toBe(true)
    expect(ran).toBe(false)
    release()
    await held
  })

  it('keeps the lease alive while fn runs longer than the lease', async () => {
    const clock = new ManualClock()
    const lock = new FileLock({ dir, leaseMs: 150, clock })
    let release!: () => void
    const held = lock.withLock('k', () => new Promise<void>((r) => (release = r)))
    await settleIo()
    // Waits three leases: a lock file left untouched would be taken over.
    const waiting = new FileLock({ dir, leaseMs: 150, clock })
      .withLock('k', async () => 'taken', { timeoutMs: 500 })
      .catch((e: unknown) => e)
    expect(await advanceUntilSettled(clock, waiting, 5)).toBe(500)
    expect(isOpenRpError(await waiting, 'LOCK_TIMEOUT')).toBe(true)
    // Its file carries the time of the latest renewal (every 50 ms), not of its creation.
    expect(Math.round((await stat(lock.pathOf('k'))).mtimeMs)).toBe(clock.now())
    release()
    await held
  })

  // Real time: the holder is another process, which renews its lock file on its own clock.
  it('takes over the lock of a holder that crashed (killed process), after its lease', async () => {
    const leaseMs = 400
    const child = fork(await bundledWorker(HOLDER), [dir, 'refresh', String(leaseMs)], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    children.push(child)
    await new Promise<void>((resolve, reject) => {
      child.once('message', (m) => (m === 'held' ? resolve() : reject(new Error(String(m)))))
      child.once('exit', (code) => reject(new Error(`holder exited early (${code})`)))
    })
    const lock = new FileLock({ dir, leaseMs })
    // Alive: its lease is renewed, so a short wait times out.
    await expect(
      lock.withLock('refresh', async () => {}, { timeoutMs: 600 }),
    ).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' })
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
    const started = Date.now()
    expect(await lock.withLock('refresh', async () => 'mine', { timeoutMs: 5000 })).toBe('mine')
    expect(Date.now() - started).toBeLessThan(leaseMs + 1000)
    expect((await readdir(dir)).filter((n) => !n.startsWith('.'))).toEqual([])
  })

  it('takes over a stale lock file (old modification time), even an empty one', async () => {
    const clock = new ManualClock()
    const lock = new FileLock({ dir, leaseMs: 1000, clock })
    await mkdir(dir, { recursive: true })
    const path = lock.pathOf('k')
    for (const content of ['{"token":"crashed","pid":1,"host":"h"}', '']) {
      await writeFile(path, content)
      const old = new Date(clock.now() - 5000)
      await utimes(path, old, old)
      const taking = lock.withLock('k', async () => 'ok', { timeoutMs: 100 })
      // At once: no clock time passes.
      expect(await advanceUntilSettled(clock, taking, 1)).toBe(0)
      expect(await taking).toBe('ok')
    }
    // A fresh one (modified 900 ms ago, within its lease) is not taken over.
    await writeFile(path, '{"token":"alive","pid":1,"host":"h"}')
    const fresh = new Date(clock.now() - 900)
    await utimes(path, fresh, fresh)
    const waiting = lock.withLock('k', async () => {}, { timeoutMs: 99 }).catch((e: unknown) => e)
    await advanceUntilSettled(clock, waiting, 1)
    expect(await waiting).toMatchObject({ code: 'LOCK_TIMEOUT' })
    expect(await readFile(path, 'utf8')).toContain('alive')
  })

  it('with timeoutMs: 0 takes a stale lock file over at once, and still refuses a live one', async () => {
    const clock = new ManualClock()
    const lock = new FileLock({ dir, leaseMs: 1000, clock })
    await mkdir(dir, { recursive: true })
    const path = lock.pathOf('k')
    await writeFile(path, '{"token":"crashed","pid":1,"host":"h"}')
    const old = new Date(clock.now() - 5000)
    await utimes(path, old, old)
    expect(await lock.withLock('k', async () => 'ok', { timeoutMs: 0 })).toBe('ok')
    await writeFile(path, '{"token":"alive","pid":1,"host":"h"}')
    const fresh = new Date(clock.now() - 900)
    await utimes(path, fresh, fresh)
    await expect(lock.withLock('k', async () => 'ok', { timeoutMs: 0 })).rejects.toMatchObject({
      code: 'LOCK_TIMEOUT',
    })
  })

  it('on release never deletes a lock file that is not its own', async () => {
    const lock = new FileLock({ dir })
    const path = lock.pathOf('k')
    await lock.withLock('k', async () => {
      // Another process took the lock over meanwhile (e.g. after this holder's lease ran out).
      await writeFile(path, '{"token":"someone-else","pid":1,"host":"h"}')
    })
    expect(await readFile(path, 'utf8')).toContain('someone-else')
  })

  it('refuses bad options with INVALID_ARGUMENT and an uncreatable dir with STORE_ERROR', async () => {
    expect(() => new FileLock({ dir: '' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
    // Past 2^31 - 1 ms, Infinity included, the renewal timer overflowed and fired every ms.
    for (const leaseMs of [10, Number.NaN, 2 ** 31, Number.POSITIVE_INFINITY, 1500.5]) {
      expect(() => new FileLock({ dir, leaseMs })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
    }
    await mkdir(join(dir, '..'), { recursive: true })
    await writeFile(join(dir, '..', 'file'), 'not a directory')
    await expect(
      new FileLock({ dir: join(dir, '..', 'file', 'locks') }).withLock('k', async () => {}),
    ).rejects.toMatchObject({ code: 'STORE_ERROR' })
  })
})

describe('TokenManager on FileStore + FileLock, several processes (a CLI run twice at once)', () => {
  let server: ReferenceServer
  beforeAll(async () => {
    ;[server] = await Promise.all([
      startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() }),
      bundledWorker(REFRESHER),
    ])
  })
  afterAll(() => server?.close())

  async function startCli(): Promise<ChildProcess> {
    const child = fork(await bundledWorker(REFRESHER), [server.issuer, dir], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    children.push(child)
    return new Promise((resolve, reject) => {
      child.once('message', (m) => (m === 'ready' ? resolve(child) : reject(new Error(String(m)))))
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)))
    })
  }

  function ask(child: ChildProcess): Promise<{ token?: string; error?: string }> {
    return new Promise((resolve) => {
      child.once('message', (m: { token?: string; error?: string }) => resolve(m))
      child.send('go')
    })
  }

  it('refreshes an expired session exactly once; every process gets the same access token', async () => {
    const client = await discover(server.issuer, {
      clientId: 'web',
      clientSecret: 'web-secret',
      redirectUri: 'http://127.0.0.1:4002/callback',
      scope: 'openid offline_access api:read',
    })
    // offline_access (a refresh token) needs prompt=consent (OpenID Connect Core §11).
    const { url, transaction } = await client.createAuthorizationRequest({ prompt: 'consent' })
    const done = await completeLogin(url, { username: 'alice', password: 'wonderland' })
    const tokens = await client.handleAuthorizationResponse(done.url, transaction)
    const expired = new TokenSet({
      ...tokens.toJSON(),
      expiresAt: Math.floor(Date.now() / 1000) - 5,
    })
    await new FileStore({ dir }).set('default', expired.toJSON())

    const clis = await Promise.all(Array.from({ length: 3 }, startCli))
    server.control.clearRequests()
    // A slow token endpoint widens the window in which unlocked processes would all refresh.
    server.control.setFaults({ http: { token: { delayMs: 200, times: 1 } } })
    const answers = await Promise.all(clis.map(ask))

    expect(answers.map((a) => a.error)).toEqual([undefined, undefined, undefined])
    expect(new Set(answers.map((a) => a.token)).size).toBe(1)
    expect(answers[0]!.token).not.toBe(tokens.accessToken)
    const refreshes = server.control.requests({ endpoint: 'token', grantType: 'refresh_token' })
    expect(refreshes.map((r) => r.status)).toEqual([200])
    // The rotated refresh token still works: the family was not revoked by a replay.
    const stored = TokenSet.fromJSON(await new FileStore({ dir }).get('default'))
    await expect(client.refresh(stored)).resolves.toBeInstanceOf(TokenSet)
  }, 60_000)
})
