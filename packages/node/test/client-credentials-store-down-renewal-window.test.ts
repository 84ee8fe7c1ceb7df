/**
 * Regression: a ClientCredentialsProvider whose store (Redis) fails while the token it holds
 * in memory is inside its renewal window (less than `refreshSkewSec` left, not expired) gave
 * callers `STORE_ERROR`: the read of the shared cache before renewing failed, and the token it
 * held was not handed out. It is now, with the store's error to `onWarning`; nothing is sent to
 * the provider meanwhile (a fleet whose Redis is down does not turn on the provider), and once
 * the token has expired, or for a token to replace, callers get `STORE_ERROR` as before. (The
 * token is now handed out at once, and the error is its background renewal's.)
 */
import type { OpenRpError } from '@openrp/core'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { ClientCredentialsProvider } from '../src/client-credentials-provider.ts'
import { RedisLock } from '../src/redis-lock.ts'
import { RedisStore } from '../src/redis-store.ts'
import { advanceUntil, useClientCredentialsFleet } from './helpers/fleet.ts'

const clock = new ManualClock(Date.now())
const fleet = useClientCredentialsFleet(clock)

const { tokenRequests } = fleet

describe('ClientCredentialsProvider: the store fails inside the renewal window', () => {
  it('hands out the still-valid token it holds, tells onWarning, and sends nothing', async () => {
    const store = new RedisStore({ url: fleet.redis.url, prefix: 'window:' })
    const lock = new RedisLock({ url: fleet.redis.url, prefix: 'window:lock:' })
    const warnings: OpenRpError[] = []
    try {
      const provider = new ClientCredentialsProvider({
        client: fleet.client,
        store,
        lock,
        refreshSkewSec: 60,
        onWarning: (error) => {
          warnings.push(error)
          // What it throws does not change the answer.
          throw new Error('a logger that fails')
        },
      })
      const held = await provider.getToken({ scope: 'api:read' })
      const sent = tokenRequests().length
      // 30 s left: inside the 60 s renewal window, still valid.
      await clock.advance((3600 - 30) * 1000)
      await fleet.redis.stop(true)

      expect(await provider.getToken({ scope: 'api:read' })).toBe(held)
      await advanceUntil(clock, () => warnings.length === 1)
      expect(await provider.getToken({ scope: 'api:read' })).toBe(held)
      await advanceUntil(clock, () => warnings.length === 2)
      expect(warnings.map((w) => w.code)).toEqual(['STORE_ERROR', 'STORE_ERROR'])

      // A token to replace is not handed out again.
      await expect(
        provider.getToken({ scope: 'api:read', rejectedToken: held.accessToken }),
      ).rejects.toMatchObject({ code: 'STORE_ERROR' })
      await expect(
        provider.getToken({ scope: 'api:read', forceRefresh: true }),
      ).rejects.toMatchObject({ code: 'STORE_ERROR' })
      // Nor an expired one.
      await clock.advance(31_000)
      await expect(provider.getToken({ scope: 'api:read' })).rejects.toMatchObject({
        code: 'STORE_ERROR',
      })
      // Without the shared cache and its lock, nothing was sent to the provider.
      expect(tokenRequests()).toHaveLength(sent)
    } finally {
      await Promise.all([store.close(), lock.close()])
    }
  }, 30_000)
})
