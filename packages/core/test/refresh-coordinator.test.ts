/**
 * The RefreshCoordinator on its own, with a task over plain values (it knows no protocol):
 * single flight, backoff arithmetic (exponential, jitter from the injected randomness,
 * Retry-After), the failure record other members read, and a wait that ends without ending the
 * request.
 */
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { isOpenRpError, OAuthError } from '../src/errors.ts'
import { InProcessLock } from '../src/in-process-lock.ts'
import { MemoryStore } from '../src/memory-store.ts'
import {
  type BackoffPolicy,
  failureKey,
  MAX_RETRY_AFTER_MS,
  RefreshCoordinator,
  type RefreshFailureRecord,
  type RefreshTask,
} from '../src/refresh-coordinator.ts'
import { CachingStore } from './helpers/session.ts'

interface Value {
  n: number
  expiresAtMs: number
}

/** A task whose request is `send()`, over values that are stale once `expiresAtMs` passed. */
function task(clock: ManualClock, send: () => Promise<Value>): RefreshTask<Value> {
  return {
    key: 'k',
    decode: (json) => json as Value,
    encode: (value) => ({ json: value }),
    settled: (stored) => (stored && stored.expiresAtMs > clock.now() ? stored : undefined),
    request: async () => ({ value: await send() }),
    same: (a, b) => a?.n === b?.n,
    superseded: (latest) => latest!,
    usable: (value): value is Value => value !== undefined && value.expiresAtMs > clock.now(),
  }
}

const unavailable = (retryAfterMs?: number) =>
  new OAuthError({ error: 'temporarily_unavailable', status: 503, retryAfterMs })

describe('RefreshCoordinator', () => {
  it('runs one request for any number of concurrent callers', async () => {
    const clock = new ManualClock()
    const coordinator = new RefreshCoordinator({ store: new MemoryStore(), clock })
    let sent = 0
    const t = task(clock, async () => ({ n: ++sent, expiresAtMs: clock.now() + 1000 }))
    const values = await Promise.all(Array.from({ length: 100 }, () => coordinator.run(t)))
    expect(sent).toBe(1)
    expect(new Set(values).size).toBe(1)
  })

  it('reads the value under the lock past local copies (get with fresh), the sibling write included', async () => {
    const clock = new ManualClock()
    const store = new CachingStore()
    const coordinator = new RefreshCoordinator({ store, lock: new InProcessLock(), clock })
    store.copies.set('k', { n: 1, expiresAtMs: clock.now() - 1 }) // stale here...
    await store.set('k', { n: 2, expiresAtMs: clock.now() + 1000 }) // ...renewed by a sibling
    let sent = 0
    const value = await coordinator.run(
      task(clock, async () => ({ n: 10 + ++sent, expiresAtMs: clock.now() + 1000 })),
    )
    expect(value.n).toBe(2)
    expect(sent).toBe(0)
  })

  it("reads a sibling's failure record under the lock past local copies, and waits out its backoff", async () => {
    const clock = new ManualClock()
    const store = new CachingStore({ now: () => clock.now() })
    const coordinator = new RefreshCoordinator({ store, lock: new InProcessLock(), clock })
    const record: RefreshFailureRecord = {
      untilMs: clock.now() + 30_000,
      attempt: 1,
      error: {
        code: 'OAUTH_ERROR',
        message: 'down',
        status: 503,
        oauthError: 'temporarily_unavailable',
      },
    }
    store.copies.set(failureKey('k'), undefined) // the copy has not heard of it yet
    await store.set(failureKey('k'), record, { ttlSec: 30 })
    let sent = 0
    const t = task(clock, async () => ({ n: ++sent, expiresAtMs: clock.now() + 1000 }))
    await expect(coordinator.run(t)).rejects.toMatchObject({ status: 503 })
    expect(sent).toBe(0)
  })

  it('backs off exponentially, with jitter between half and all of it', async () => {
    const clock = new ManualClock()
    const random = [0, 1, 0.5]
    const store = new MemoryStore({ now: () => clock.now() })
    const coordinator = new RefreshCoordinator({ store, clock, random: () => random.shift()! })
    let sent = 0
    const t = task(clock, async () => {
      sent++
      throw unavailable()
    })
    const failures: number[] = []
    for (const expectedMs of [500, 2000, 3000]) {
      const start = clock.now()
      await expect(coordinator.run(t)).rejects.toMatchObject({ status: 503 })
      const record = (await store.get(failureKey('k'))) as RefreshFailureRecord
      failures.push(record.untilMs - start)
      expect(record.untilMs - start).toBe(expectedMs)
      // Until then: the remembered error, without a request.
      await expect(coordinator.run(t)).rejects.toMatchObject({ status: 503 })
      await clock.advance(expectedMs)
    }
    expect(sent).toBe(3)
    expect(failures).toEqual([500, 2000, 3000])
  })

  it('waits at least what Retry-After asks, and another coordinator on the store waits too', async () => {
    const clock = new ManualClock()
    const store = new MemoryStore({ now: () => clock.now() })
    const lock = new InProcessLock()
    const a = new RefreshCoordinator({ store, lock, clock, random: () => 0 })
    const b = new RefreshCoordinator({ store, lock, clock, random: () => 0 })
    let sent = 0
    const failing = task(clock, async () => {
      sent++
      throw unavailable(30_000)
    })
    await expect(a.run(failing)).rejects.toMatchObject({ status: 503 })
    const error = await b.run(failing).catch((e: unknown) => e)
    // Rebuilt from the record: same class, code, status and pause.
    expect(error).toBeInstanceOf(OAuthError)
    expect(error).toMatchObject({ code: 'OAUTH_ERROR', status: 503, retryAfterMs: 30_000 })
    await clock.advance(29_999)
    await expect(b.run(failing)).rejects.toMatchObject({ status: 503 })
    expect(sent).toBe(1)
    await clock.advance(1)
    const ok = task(clock, async () => ({ n: 1, expiresAtMs: clock.now() + 1000 }))
    expect((await b.run(ok)).n).toBe(1)
    // A success clears the record for everyone.
    expect(await store.get(failureKey('k'))).toBeUndefined()
    expect(await a.failure('k')).toBeUndefined()
  })

  it('honours a Retry-After of a year for MAX_RETRY_AFTER_MS (1 hour) at most', async () => {
    const clock = new ManualClock()
    const store = new MemoryStore({ now: () => clock.now() })
    const coordinator = new RefreshCoordinator({ store, clock, random: () => 0 })
    const yearMs = 365 * 86_400_000
    let sent = 0
    const t = task(clock, async () => {
      if (++sent === 1) throw unavailable(yearMs)
      return { n: sent, expiresAtMs: clock.now() + 1000 }
    })
    const start = clock.now()
    // The error keeps the provider's ask; the pause is capped.
    await expect(coordinator.run(t)).rejects.toMatchObject({ retryAfterMs: yearMs })
    const record = (await store.get(failureKey('k'))) as RefreshFailureRecord
    expect(MAX_RETRY_AFTER_MS).toBe(3_600_000)
    expect(record.untilMs - start).toBe(MAX_RETRY_AFTER_MS)
    await clock.advance(MAX_RETRY_AFTER_MS - 1)
    await expect(coordinator.run(t)).rejects.toMatchObject({ status: 503 })
    expect(sent).toBe(1)
    await clock.advance(1)
    expect((await coordinator.run(t)).n).toBe(2)
  })

  it('a backoff maxMs above an hour caps Retry-After instead, and a shorter Retry-After is honoured as asked', async () => {
    const clock = new ManualClock()
    const store = new MemoryStore({ now: () => clock.now() })
    const maxMs = 2 * MAX_RETRY_AFTER_MS
    const coordinator = new RefreshCoordinator({
      store,
      clock,
      random: () => 0,
      backoff: { maxMs },
    })
    const asks = [Number.POSITIVE_INFINITY, 30 * 60_000]
    const t = task(clock, async () => {
      throw unavailable(asks.shift())
    })
    for (const expectedMs of [maxMs, 30 * 60_000]) {
      const start = clock.now()
      await expect(coordinator.run(t)).rejects.toMatchObject({ status: 503 })
      const record = (await store.get(failureKey('k'))) as RefreshFailureRecord
      expect(record.untilMs - start).toBe(expectedMs)
      await clock.advance(expectedMs)
    }
  })

  it.each<[string, BackoffPolicy]>([
    ['a negative baseMs', { baseMs: -1 }],
    ['a negative maxMs', { maxMs: -1 }],
    ['a NaN baseMs', { baseMs: Number.NaN }],
    ['a NaN maxMs', { maxMs: Number.NaN }],
    ['an infinite baseMs', { baseMs: Number.POSITIVE_INFINITY }],
    ['an infinite maxMs', { maxMs: Number.POSITIVE_INFINITY }],
    ['a baseMs that is no number', { baseMs: '1000' as never }],
    ['a baseMs above maxMs', { baseMs: 2_000, maxMs: 1_000 }],
  ])('refuses a backoff with %s (INVALID_ARGUMENT), when it is made', (_name, backoff) => {
    expect(
      () => new RefreshCoordinator({ store: new MemoryStore(), clock: new ManualClock(), backoff }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('takes a backoff of zeros, equal bounds, or one bound with the default of the other', async () => {
    const policies: BackoffPolicy[] = [
      { baseMs: 0, maxMs: 0 },
      { baseMs: 500, maxMs: 500 },
      // Alone, a bound below the other's default caps it, as before.
      { maxMs: 500 },
      { baseMs: 120_000 },
    ]
    const pauses: number[] = []
    for (const backoff of policies) {
      const clock = new ManualClock()
      const store = new MemoryStore({ now: () => clock.now() })
      const coordinator = new RefreshCoordinator({ store, clock, random: () => 1, backoff })
      const t = task(clock, async () => {
        throw unavailable()
      })
      await expect(coordinator.run(t)).rejects.toMatchObject({ status: 503 })
      const record = (await store.get(failureKey('k'))) as RefreshFailureRecord | undefined
      pauses.push((record?.untilMs ?? clock.now()) - clock.now())
    }
    expect(pauses).toEqual([0, 500, 500, 60_000])
  })

  it('with a baseMs of 0, still honours Retry-After after more than 1024 failures in a row', async () => {
    // 2 ** 1024 is Infinity, and 0 * Infinity is NaN: the pause became NaN, Retry-After with it.
    const clock = new ManualClock()
    const store = new MemoryStore({ now: () => clock.now() })
    const coordinator = new RefreshCoordinator({
      store,
      clock,
      random: () => 1,
      backoff: { baseMs: 0 },
    })
    let sent = 0
    let retryAfterMs: number | undefined
    const t = task(clock, async () => {
      sent++
      throw unavailable(retryAfterMs)
    })
    // No pause at all: each call sends again at once.
    for (let i = 0; i < 1_100; i++)
      await expect(coordinator.run(t)).rejects.toMatchObject({ status: 503 })
    expect(sent).toBe(1_100)
    retryAfterMs = 30_000
    const start = clock.now()
    await expect(coordinator.run(t)).rejects.toMatchObject({ status: 503 })
    const record = (await store.get(failureKey('k'))) as RefreshFailureRecord
    expect(record.untilMs - start).toBe(30_000)
    await expect(coordinator.run(t)).rejects.toMatchObject({ status: 503 })
    expect(sent).toBe(1_101)
  })

  it('hands out a still-usable value while backing off', async () => {
    const clock = new ManualClock()
    const store = new MemoryStore()
    await store.set('k', { n: 7, expiresAtMs: clock.now() + 10_000 })
    const coordinator = new RefreshCoordinator({ store, clock })
    const t = {
      ...task(clock, async () => {
        throw unavailable()
      }),
      // Due (refresh wanted) but still usable.
      settled: () => undefined,
    }
    expect((await coordinator.run(t)).n).toBe(7)
    expect((await coordinator.run(t)).n).toBe(7)
    await clock.advance(10_000)
    await expect(coordinator.run(t)).rejects.toMatchObject({ status: 503 })
  })

  it('a caller stops waiting after waitTimeoutMs; the request goes on and its value is stored', async () => {
    const clock = new ManualClock()
    const store = new MemoryStore()
    const coordinator = new RefreshCoordinator({ store, clock, waitTimeoutMs: 1_000 })
    let answer!: (value: Value) => void
    const t = task(clock, () => new Promise<Value>((resolve) => (answer = resolve)))
    const waiting = coordinator.run(t).catch((e: unknown) => e)
    await clock.advance(1_000)
    expect(isOpenRpError(await waiting, 'TIMEOUT')).toBe(true)
    expect(coordinator.running('k')).toBeDefined()
    answer({ n: 1, expiresAtMs: clock.now() + 5_000 })
    await coordinator.running('k')
    expect(await store.get('k')).toMatchObject({ n: 1 })
    expect((await coordinator.run(t)).n).toBe(1)
  })
})
