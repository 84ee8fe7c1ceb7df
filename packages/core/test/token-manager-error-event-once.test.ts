/**
 * One failed refresh is one `error` event, whatever the number of callers that shared it.
 */
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { isOpenRpError } from '../src/errors.ts'
import { InProcessLock } from '../src/in-process-lock.ts'
import { MemoryStore } from '../src/memory-store.ts'
import { TokenManager } from '../src/token-manager.ts'
import { useReferenceServer } from './helpers/reference.ts'
import { expired, login, SPA_CLIENT } from './helpers/session.ts'

const h = useReferenceServer()

async function session(
  clock: ManualClock,
  options: { answerTimeoutMs?: number; lock?: InProcessLock },
) {
  const client = await h.client({
    clock,
    ...SPA_CLIENT,
  })
  const manager = new TokenManager({
    client,
    store: new MemoryStore(),
    key: 'session',
    clock,
    timeoutMs: 10_000,
    lockTimeoutMs: 1_000,
    ...options,
  })
  await manager.setTokenSet(expired(await login(client), clock))
  const errors: unknown[] = []
  manager.on('error', (error) => errors.push(error))
  return { manager, errors }
}

describe('the error event of a failed refresh', () => {
  it('is emitted once when the sent request times out (answerTimeoutMs), for two callers', async () => {
    const clock = new ManualClock(Date.now())
    const { manager, errors } = await session(clock, { answerTimeoutMs: 500 })
    const hold = h.server.control.hold({ endpoint: 'token', grantType: 'refresh_token', times: 1 })
    try {
      const calls = [manager.getAccessToken(), manager.getAccessToken()].map((call) =>
        call.catch((error: unknown) => error),
      )
      await hold.waitUntilHeld()
      await clock.advance(500)
      for (const outcome of await Promise.all(calls))
        expect(isOpenRpError(outcome, 'TIMEOUT')).toBe(true)
      expect(errors).toHaveLength(1)
    } finally {
      hold.release()
    }
  })

  it('is emitted once when the lock cannot be had (LOCK_TIMEOUT), for two callers', async () => {
    const clock = new ManualClock(Date.now())
    const lock = new InProcessLock({ clock })
    const { manager, errors } = await session(clock, { lock })
    // Someone else holds the refresh lock for good.
    let releaseHolder!: () => void
    void lock.withLock('session:refresh', () => new Promise<void>((r) => (releaseHolder = r)))
    const calls = [manager.getAccessToken(), manager.getAccessToken()].map((call) =>
      call.catch((error: unknown) => error),
    )
    await clock.advance(1_000)
    for (const outcome of await Promise.all(calls))
      expect(isOpenRpError(outcome, 'LOCK_TIMEOUT')).toBe(true)
    expect(errors).toHaveLength(1)
    releaseHolder()
  })
})
