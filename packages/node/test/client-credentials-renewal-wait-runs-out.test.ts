/**
 * Regression: a ClientCredentialsProvider renewing a token it holds inside its renewal window
 * (less than `refreshSkewSec` left, not expired) gave callers `TIMEOUT` when their wait for the
 * renewal ran out (the provider's token endpoint hanging), and `LOCK_TIMEOUT` when their wait for
 * the lock ran out (another fleet member holding it while it renews), although the token they
 * held was still valid. They now get that token at once while it is renewed in the background
 * (see client-credentials-background-renewal.test.ts); a background renewal whose wait for the
 * lock runs out tells `onWarning`. The renewal under way goes on and its token is handed out once
 * it comes. A token to replace (`forceRefresh`, `rejectedToken`) or one that has expired is never
 * handed out: those callers wait, and get the error when their wait runs out.
 */
import type { OpenRpError } from '@openrp/core'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { ClientCredentialsProvider } from '../src/client-credentials-provider.ts'
import { driveUntilSettled } from './helpers/clock.ts'
import {
  advanceUntil,
  CC_TOKEN_TTL_SEC,
  member,
  useClientCredentialsFleet,
} from './helpers/fleet.ts'

const clock = new ManualClock(Date.now())
// The client's own deadline is far off: a request held on the wire stays under way as long
// as a test holds it.
const fleet = useClientCredentialsFleet(clock, { timeoutMs: 600_000 })

const { tokenRequests } = fleet
const options = { scope: 'api:read' }

describe('ClientCredentialsProvider: a wait runs out inside the renewal window', () => {
  it('the token endpoint hangs: the held token to callers, who do not wait', async () => {
    const { store, lock, close } = member(fleet.redis.url, 'hang', clock)
    const warnings: OpenRpError[] = []
    try {
      const provider = new ClientCredentialsProvider({
        client: fleet.client,
        store,
        lock,
        clock,
        refreshSkewSec: 60,
        timeoutMs: 5_000,
        onWarning: (error) => warnings.push(error),
      })
      const held = await provider.getToken(options)
      const sent = tokenRequests().length
      // 45 s left: inside the 60 s renewal window, still valid.
      await clock.advance((CC_TOKEN_TTL_SEC - 45) * 1000)
      const hold = fleet.server.control.hold({
        endpoint: 'token',
        grantType: 'client_credentials',
        stage: 'request',
      })

      expect(await driveUntilSettled(clock, provider.getToken(options))).toBe(held)
      // Past timeoutMs the next caller is answered the same way; nobody waited, nothing failed.
      await clock.advance(10_000)
      expect(await driveUntilSettled(clock, provider.getToken(options))).toBe(held)
      expect(warnings).toEqual([])
      // (The background renewal's request may still be on its way: nobody waited for it.)
      await hold.waitUntilHeld(1, { timeoutMs: 5_000 })
      expect(hold.total).toBe(1)

      // A token to replace is not handed out again.
      await expect(
        driveUntilSettled(clock, provider.getToken({ ...options, forceRefresh: true })),
      ).rejects.toMatchObject({ code: 'TIMEOUT' })
      await expect(
        driveUntilSettled(
          clock,
          provider.getToken({ ...options, rejectedToken: held.accessToken }),
        ),
      ).rejects.toMatchObject({ code: 'TIMEOUT' })
      // Nor an expired one.
      await clock.advance(30_000)
      await expect(driveUntilSettled(clock, provider.getToken(options))).rejects.toMatchObject({
        code: 'TIMEOUT',
      })
      expect(warnings).toEqual([])

      // The renewal was not abandoned: its token is handed out once it comes.
      hold.release()
      const renewed = await driveUntilSettled(clock, provider.getToken(options))
      expect(renewed.accessToken).not.toBe(held.accessToken)
      expect(tokenRequests()).toHaveLength(sent + 1)
    } finally {
      fleet.server.control.resetFaults()
      await close()
    }
  }, 30_000)

  it('a fleet member holds the lock while it renews: the held token to callers, LOCK_TIMEOUT of the background renewal to onWarning', async () => {
    const a = member(fleet.redis.url, 'busy', clock)
    const b = member(fleet.redis.url, 'busy', clock)
    const warnings: OpenRpError[] = []
    try {
      const renewing = new ClientCredentialsProvider({
        client: fleet.client,
        store: a.store,
        lock: a.lock,
        clock,
      })
      const waiting = new ClientCredentialsProvider({
        client: fleet.client,
        store: b.store,
        lock: b.lock,
        clock,
        lockTimeoutMs: 2_000,
        onWarning: (error) => warnings.push(error),
      })
      await renewing.getToken(options)
      const held = await waiting.getToken(options)
      const sent = tokenRequests().length
      await clock.advance((CC_TOKEN_TTL_SEC - 45) * 1000)
      const hold = fleet.server.control.hold({
        endpoint: 'token',
        grantType: 'client_credentials',
        stage: 'request',
      })
      // The member renews under the lock, in the background; its request hangs at the provider.
      expect((await renewing.getToken(options)).accessToken).toBe(held.accessToken)
      await hold.waitUntilHeld(1, { timeoutMs: 5_000 })

      expect(await driveUntilSettled(clock, waiting.getToken(options))).toBe(held)
      // Its background renewal waits for the lock until lockTimeoutMs.
      await advanceUntil(clock, () => warnings.length > 0)
      expect(warnings.map((w) => w.code)).toEqual(['LOCK_TIMEOUT'])
      await expect(
        driveUntilSettled(clock, waiting.getToken({ ...options, forceRefresh: true })),
      ).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' })

      // Once the member has renewed, its token is handed out: one request for the fleet.
      hold.release()
      await driveUntilSettled(clock, renewing.close())
      const renewed = await renewing.getToken(options)
      expect(renewed.accessToken).not.toBe(held.accessToken)
      // (The first call renews in the background, reading the member's token from the store.)
      expect(await driveUntilSettled(clock, waiting.getToken(options))).toBe(held)
      await driveUntilSettled(clock, waiting.close())
      expect(await driveUntilSettled(clock, waiting.getToken(options))).toEqual(renewed)
      expect(tokenRequests()).toHaveLength(sent + 1)
    } finally {
      fleet.server.control.resetFaults()
      await Promise.all([a.close(), b.close()])
    }
  }, 30_000)
})
