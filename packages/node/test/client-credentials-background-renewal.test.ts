/**
 * Regression: a ClientCredentialsProvider renewing a token inside its renewal window (less than
 * `refreshSkewSec` left, not expired) made every caller wait for the renewal: behind a slow token
 * endpoint each call stalled up to `timeoutMs` (or `lockTimeoutMs`) although the process held a
 * valid token. Such a token is now handed out at once while one renewal per key runs in the
 * background (under the store and lock, so a fleet renews once); its failures go to `onWarning`
 * and the backoff decides when a later call tries again. Callers wait only when no token with time
 * to spare is held (none, one in the last half of its window, or an expired one). close() lets a background renewal under way finish (its token stored) and starts none.
 */
import {
  type OpenRpError,
  type Store,
  type StoreGetOptions,
  StoreError,
  type StoreSetOptions,
  TokenSet,
} from '@openrp/core'
import { flush, ManualClock } from '@openrp/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { ClientCredentialsProvider } from '../src/client-credentials-provider.ts'
import { driveUntilSettled } from './helpers/clock.ts'
import { type Member, member, useClientCredentialsFleet } from './helpers/fleet.ts'

const clock = new ManualClock(Date.now())
// The client's own deadline is far off: a request held on the wire stays under way as long
// as a test holds it.
const fleet = useClientCredentialsFleet(clock, { timeoutMs: 600_000 })
const members: Member[] = []

afterEach(async () => {
  fleet.server.control.resetFaults()
  await Promise.all(members.splice(0).map((m) => m.close()))
})

const options = { scope: 'api:read' }
const { tokenRequests } = fleet
const holdTokenRequests = () =>
  fleet.server.control.hold({
    endpoint: 'token',
    grantType: 'client_credentials',
    stage: 'request',
  })

/** A fleet member's provider on the shared Redis; its warnings in `warnings`. */
function provider(prefix: string, wrap: (store: Store) => Store = (store) => store) {
  const m = member(fleet.redis.url, prefix, clock)
  members.push(m)
  const warnings: OpenRpError[] = []
  const p = new ClientCredentialsProvider({
    client: fleet.client,
    store: wrap(m.store),
    lock: m.lock,
    clock,
    refreshSkewSec: 60,
    timeoutMs: 5_000,
    // The longest pause of each backoff step: 1 s, then 2 s.
    random: () => 0.999,
    onWarning: (error) => warnings.push(error),
  })
  return { provider: p, warnings, store: m.store }
}

/** Into the renewal window of `tokens`: `leftSec` left. */
const leave = (tokens: TokenSet, leftSec: number) =>
  clock.advance((tokens.expiresAt! - leftSec) * 1000 - clock.now())

/** Whether `work` has settled once the jobs pending now ran (the clock standing still). */
async function settledNow(work: Promise<unknown>): Promise<boolean> {
  let settled = false
  work.then(
    () => (settled = true),
    () => (settled = true),
  )
  await flush()
  return settled
}

/** Lets real I/O run, the clock standing still, until `done()` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 5_000 && !done(); i++) await new Promise((r) => setTimeout(r, 1))
  if (!done()) throw new Error('the condition never held')
}

/**
 * Calls `p` (each call handed `held`, the clock standing still) until `warnings` holds `count`: a
 * renewal of the backoff still under way takes the turn of the call that follows the pause.
 */
async function warnedAfterCalls(
  p: ClientCredentialsProvider,
  held: TokenSet,
  warnings: OpenRpError[],
  count: number,
): Promise<void> {
  for (let i = 0; i < 2_000 && warnings.length < count; i++) {
    expect(await p.getToken(options)).toBe(held)
    await new Promise((r) => setTimeout(r, 1))
  }
  expect(warnings).toHaveLength(count)
}

/** Calls `p` (the clock moving a little between calls) until it hands out a token other than `held`. */
async function renewed(p: ClientCredentialsProvider, held: TokenSet): Promise<TokenSet> {
  for (let i = 0; i < 2_000; i++) {
    const tokens = await p.getToken(options)
    if (tokens.accessToken !== held.accessToken) return tokens
    await new Promise((r) => setTimeout(r, 1))
    await clock.advance(25)
  }
  throw new Error('never renewed')
}

describe('ClientCredentialsProvider: a token inside its renewal window is renewed in the background', () => {
  it('a slow renewal does not delay callers holding a valid token; one request for the fleet', async () => {
    const a = provider('slow')
    const b = provider('slow')
    const held = await a.provider.getToken(options)
    const heldByB = await b.provider.getToken(options)
    expect(heldByB.accessToken).toBe(held.accessToken)
    await leave(held, 45)
    const sent = tokenRequests().length
    const hold = holdTokenRequests()

    // Many concurrent callers on both members: the held token at once, the clock standing still.
    const calls = [a, b].flatMap(({ provider: p }) =>
      Array.from({ length: 10 }, () => p.getToken(options)),
    )
    await hold.waitUntilHeld(1, { timeoutMs: 5_000 })
    expect(await settledNow(Promise.all(calls))).toBe(true)
    for (const [i, tokens] of (await Promise.all(calls)).entries())
      expect(tokens).toBe(i < 10 ? held : heldByB)

    // Still so while the renewal hangs for longer than timeoutMs (and member b waits for the
    // lock): nobody waits, nothing is wrong yet.
    await clock.advance(10_000)
    expect(await settledNow(a.provider.getToken(options))).toBe(true)
    expect(await a.provider.getToken(options)).toBe(held)
    expect(await b.provider.getToken(options)).toBe(heldByB)
    expect(hold.total).toBe(1)
    expect([...a.warnings, ...b.warnings]).toEqual([])

    // Once the provider answers, both members hand out the one new token.
    hold.release()
    const next = await renewed(a.provider, held)
    expect((await renewed(b.provider, heldByB)).accessToken).toBe(next.accessToken)
    expect(tokenRequests()).toHaveLength(sent + 1)
    expect([...a.warnings, ...b.warnings]).toEqual([])
  }, 30_000)

  it('a failing background renewal goes to onWarning; the next call after the backoff tries again; a bad answer is not stored', async () => {
    const { provider: p, warnings, store } = provider('fails')
    const held = await p.getToken(options)
    await leave(held, 50)
    const sent = tokenRequests().length

    fleet.server.control.setFaults({ http: { token: { status: 503 } } })
    expect(await p.getToken(options)).toBe(held)
    await until(() => warnings.length === 1)
    expect(warnings[0]).toMatchObject({ code: 'OAUTH_ERROR', status: 503 })
    expect(tokenRequests()).toHaveLength(sent + 1)

    // During the backoff: the held token, no request (each call's renewal fails at once, with
    // the error onWarning heard already).
    for (let i = 0; i < 5; i++) expect(await p.getToken(options)).toBe(held)
    expect(tokenRequests()).toHaveLength(sent + 1)

    // After the pause the next call tries again; a 200 without a usable access token this time.
    fleet.server.control.setFaults({ tokenResponse: { accessToken: '' } })
    await clock.advance(1_000)
    await warnedAfterCalls(p, held, warnings, 2)
    expect(warnings.at(-1)).toMatchObject({ code: 'TOKEN_RESPONSE_INVALID' })
    expect(tokenRequests()).toHaveLength(sent + 2)
    // Nothing of that answer was stored.
    expect(TokenSet.fromJSON(await store.get(p.keyOf(options)))).toEqual(held)

    // After the next pause, the provider answers well: the renewal's token is handed out.
    fleet.server.control.resetFaults()
    await clock.advance(2_000)
    expect(await p.getToken(options)).toBe(held)
    const next = await renewed(p, held)
    expect(TokenSet.fromJSON(await store.get(p.keyOf(options)))).toEqual(next)
    expect(tokenRequests()).toHaveLength(sent + 3)
  }, 30_000)

  it('onWarning hears each failure once: not for every call of one backoff step (in the background or waiting), once more after the next failed attempt', async () => {
    const a = provider('once')
    const b = provider('once')
    const held = await a.provider.getToken(options)
    expect((await b.provider.getToken(options)).accessToken).toBe(held.accessToken)
    await leave(held, 50)
    const sent = tokenRequests().length

    // A revoked client: every call of a busy process during the backoff renews in the
    // background, each renewal failing at once with the remembered refusal.
    fleet.server.control.setFaults({ http: { token: { status: 401 } } })
    expect(await a.provider.getToken(options)).toBe(held)
    await until(() => a.warnings.length >= 1)
    const refused = { code: 'OAUTH_ERROR', error: 'invalid_client', status: 401 }
    expect(a.warnings[0]).toMatchObject(refused)
    for (let i = 0; i < 50; i++) {
      expect(await a.provider.getToken(options)).toBe(held)
      expect((await b.provider.getToken(options)).accessToken).toBe(held.accessToken)
      await new Promise((r) => setTimeout(r, 2))
    }
    await until(() => b.warnings.length >= 1)
    await new Promise((r) => setTimeout(r, 20))
    expect(a.warnings).toHaveLength(1)
    // The member that shares the store hears of the fleet's failure once too.
    expect(b.warnings).toEqual([expect.objectContaining(refused)])
    expect(tokenRequests()).toHaveLength(sent + 1)

    // The next attempt, after the pause, fails again: one more warning, then quiet again.
    await clock.advance(1_000)
    await warnedAfterCalls(a.provider, held, a.warnings, 2)
    for (let i = 0; i < 50; i++) {
      expect(await a.provider.getToken(options)).toBe(held)
      await new Promise((r) => setTimeout(r, 2))
    }
    expect(a.warnings).toHaveLength(2)
    expect(tokenRequests()).toHaveLength(sent + 2)

    // In the last half of the window callers wait for the renewal: one failed attempt, one
    // warning, however many calls get the held token during its backoff.
    await leave(held, 25)
    for (let i = 0; i < 50; i++)
      expect(await driveUntilSettled(clock, a.provider.getToken(options))).toBe(held)
    expect(a.warnings).toHaveLength(3)
    expect(a.warnings.at(-1)).toMatchObject(refused)
    expect(tokenRequests()).toHaveLength(sent + 3)
  }, 30_000)

  it('an expired token, or one in the last half of its renewal window, makes callers wait for the renewal, joining the one under way', async () => {
    const { provider: p } = provider('expired')
    const held = await p.getToken(options)
    await leave(held, 0)
    const sent = tokenRequests().length
    const hold = holdTokenRequests()

    const waiting = Promise.all(Array.from({ length: 5 }, () => p.getToken(options)))
    await hold.waitUntilHeld(1, { timeoutMs: 5_000 })
    expect(await settledNow(waiting)).toBe(false)
    hold.release()
    const [first, ...rest] = await driveUntilSettled(clock, waiting)
    expect(first!.accessToken).not.toBe(held.accessToken)
    for (const tokens of rest) expect(tokens).toBe(first)
    expect(tokenRequests()).toHaveLength(sent + 1)

    // A background renewal hangs, and the token passes into the last half of its renewal
    // window meanwhile (20 s of 60 left; a token handed out so close to its end would fail
    // where it is sent): callers now wait for the renewal.
    await leave(first!, 31)
    const hung = holdTokenRequests()
    expect(await p.getToken(options)).toBe(first)
    await hung.waitUntilHeld(1, { timeoutMs: 5_000 })
    await leave(first!, 20)
    const late = p.getToken(options)
    expect(await settledNow(late)).toBe(false)
    hung.release()
    const next = await driveUntilSettled(clock, late)
    expect(next.accessToken).not.toBe(first!.accessToken)
    expect(hung.total).toBe(1)
    expect(tokenRequests()).toHaveLength(sent + 2)
  }, 30_000)

  it('close() during a background renewal: the request sent is finished and its token stored; nothing more in the background', async () => {
    const { provider: p, warnings, store } = provider('close')
    const held = await p.getToken(options)
    await leave(held, 45)
    const sent = tokenRequests().length
    const hold = holdTokenRequests()
    expect(await p.getToken(options)).toBe(held)
    await hold.waitUntilHeld(1, { timeoutMs: 5_000 })

    const closing = p.close()
    expect(await settledNow(closing)).toBe(false)
    hold.release()
    await driveUntilSettled(clock, closing)
    // The renewal was not abandoned: its token is stored and handed out.
    const stored = TokenSet.fromJSON(await store.get(p.keyOf(options)))
    expect(stored.accessToken).not.toBe(held.accessToken)
    expect((await p.getToken(options)).accessToken).toBe(stored.accessToken)
    expect(tokenRequests()).toHaveLength(sent + 1)
    expect(warnings).toEqual([])

    // Closed: a token due for renewal is renewed while its caller waits, nothing in the
    // background, and close() has nothing to wait for.
    await leave(stored, 45)
    const again = holdTokenRequests()
    const call = p.getToken(options)
    await again.waitUntilHeld(1, { timeoutMs: 5_000 })
    expect(await settledNow(call)).toBe(false)
    expect(await settledNow(p.close())).toBe(true)
    again.release()
    expect((await driveUntilSettled(clock, call)).accessToken).not.toBe(stored.accessToken)
  }, 30_000)

  it('close() resolves once the background renewal has released its lock: the store and lock closed right after leave no lock behind', async () => {
    const m = member(fleet.redis.url, 'release', clock)
    const p = new ClientCredentialsProvider({
      client: fleet.client,
      store: m.store,
      lock: m.lock,
      clock,
      refreshSkewSec: 60,
    })
    try {
      const held = await p.getToken(options)
      await leave(held, 45)
      const hold = holdTokenRequests()
      expect(await p.getToken(options)).toBe(held)
      await hold.waitUntilHeld(1, { timeoutMs: 5_000 })
      const closing = p.close()
      hold.release()
      // As the docs say: the provider first, then (at once) its store and lock.
      await closing.then(() => Promise.all([m.store.close(), m.lock.close()]))
    } finally {
      fleet.server.control.resetFaults()
    }
    // The lock was released before they closed: another member takes it at once.
    const other = member(fleet.redis.url, 'release', clock)
    members.push(other)
    await expect(
      other.lock.withLock(p.keyOf(options), async () => 'taken', { timeoutMs: 0 }),
    ).resolves.toBe('taken')
  }, 30_000)

  it('the store down: one read and one warning per pause of the backoff, however many calls get the held token; a retry after each pause, the renewal once it is back', async () => {
    const outage = { down: false, reads: 0 }
    const { provider: p, warnings } = provider('store-down', (inner): Store => {
      const up = () => {
        if (outage.down) throw new StoreError('connect ECONNREFUSED')
      }
      return {
        get: async <T>(key: string, o?: StoreGetOptions) => {
          if (outage.down) outage.reads++
          up()
          return inner.get<T>(key, o)
        },
        set: async (key: string, value: unknown, o?: StoreSetOptions) => {
          up()
          return inner.set(key, value, o)
        },
        delete: async (key: string) => {
          up()
          return inner.delete(key)
        },
      }
    })
    /** 200 calls, each handed `held`, with real I/O between them, the clock standing still. */
    const calls = async (held: TokenSet) => {
      for (let i = 0; i < 200; i++) {
        expect(await p.getToken(options)).toBe(held)
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1))
      }
    }
    const held = await p.getToken(options)
    await leave(held, 55)
    const sent = tokenRequests().length

    outage.down = true
    await calls(held)
    await until(() => warnings.length >= 1)
    expect(outage.reads).toBe(1)
    expect(warnings).toEqual([expect.objectContaining({ code: 'STORE_ERROR' })])
    // The pauses grow as the backoff's (random 0.999: 1 s, then 2 s, then 4 s, less a hair).
    await clock.advance(990)
    await calls(held)
    expect(outage.reads).toBe(1)
    await clock.advance(10)
    await calls(held)
    await until(() => warnings.length === 2)
    expect(outage.reads).toBe(2)
    await clock.advance(1_990)
    await calls(held)
    expect(outage.reads).toBe(2)
    await clock.advance(10)
    await calls(held)
    await until(() => warnings.length === 3)
    expect(outage.reads).toBe(3)
    expect(warnings.map((w) => w.code)).toEqual(['STORE_ERROR', 'STORE_ERROR', 'STORE_ERROR'])
    expect(tokenRequests()).toHaveLength(sent)

    // The store is back: the call after the pause renews, with one request.
    outage.down = false
    await clock.advance(4_000)
    const next = await renewed(p, held)
    expect(tokenRequests()).toHaveLength(sent + 1)
    expect(warnings).toHaveLength(3)

    // That success cleared the pauses: the next outage starts again at the first step (1 s).
    await leave(next, 55)
    outage.down = true
    outage.reads = 0
    await calls(next)
    await until(() => warnings.length === 4)
    await clock.advance(1_000)
    await calls(next)
    await until(() => warnings.length === 5)
    expect(outage.reads).toBe(2)
  }, 30_000)

  it('the provider down: during its backoff, calls that get the held token read the store no more (a pause after each failed renewal)', async () => {
    const counted = { reads: 0 }
    const { provider: p, warnings } = provider(
      'provider-down',
      (inner): Store => ({
        get: async <T>(key: string, o?: StoreGetOptions) => {
          counted.reads++
          return inner.get<T>(key, o)
        },
        set: (key: string, value: unknown, o?: StoreSetOptions) => inner.set(key, value, o),
        delete: (key: string) => inner.delete(key),
      }),
    )
    const held = await p.getToken(options)
    await leave(held, 55)
    const sent = tokenRequests().length

    fleet.server.control.setFaults({ http: { token: { status: 503 } } })
    expect(await p.getToken(options)).toBe(held)
    await until(() => warnings.length === 1)
    expect(tokenRequests()).toHaveLength(sent + 1)
    // 200 calls inside the backoff step (the clock standing still): each gets the held token, and
    // none starts a renewal that would read the store only to fail with the remembered error.
    const reads = counted.reads
    for (let i = 0; i < 200; i++) {
      expect(await p.getToken(options)).toBe(held)
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1))
    }
    expect(counted.reads).toBe(reads)
    expect(tokenRequests()).toHaveLength(sent + 1)
    expect(warnings).toHaveLength(1)

    // After the pause the next call renews, once the provider answers again.
    fleet.server.control.resetFaults()
    await clock.advance(1_000)
    await renewed(p, held)
    expect(tokenRequests()).toHaveLength(sent + 2)
  }, 30_000)

  it('an error that is no OpenRpError (a store of the app) reaches the next caller, who renews', async () => {
    const failing = { reads: 0 }
    const broke = new Error('the app store broke')
    const { provider: p, warnings } = provider(
      'foreign',
      (inner): Store => ({
        get: <T>(key: string, o?: StoreGetOptions) => {
          if (failing.reads > 0) {
            failing.reads--
            return Promise.reject(broke)
          }
          return inner.get<T>(key, o)
        },
        set: (key: string, value: unknown, o?: StoreSetOptions) => inner.set(key, value, o),
        delete: (key: string) => inner.delete(key),
      }),
    )
    const held = await p.getToken(options)
    await leave(held, 45)
    failing.reads = 2
    // The background renewal fails without a word to onWarning (it takes OpenRpErrors).
    expect(await p.getToken(options)).toBe(held)
    await until(() => failing.reads === 1)
    await flush()
    // The next caller renews itself, and gets the error.
    await expect(p.getToken(options)).rejects.toBe(broke)
    // Then it is back to the background.
    expect(await p.getToken(options)).toBe(held)
    expect((await renewed(p, held)).accessToken).not.toBe(held.accessToken)
    expect(warnings).toEqual([])
  }, 30_000)
})
