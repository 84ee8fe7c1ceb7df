/**
 * Clock skew between the provider and the client: within `clockToleranceSec` (default 30 s)
 * tokens are accepted, beyond it refused (`iat` in the future, `iat` too old to be fresh,
 * `exp` passed). `expires_in` missing or malformed is handled deliberately.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  authorize,
  expectNothingStored,
  refused,
  SESSION_KEY,
  session,
  useProvider,
} from './harness.ts'

const p = useProvider({ idTokenTtl: 3600 })
afterEach(() => p.server.control.setClockOffset(0))

/** Signs in while the provider's clock is `offsetSec` off; returns the session helpers. */
async function signInSkewed(offsetSec: number, clockToleranceSec?: number) {
  const client = await p.spa(clockToleranceSec === undefined ? {} : { clockToleranceSec })
  const s = session(client)
  p.server.control.setClockOffset(offsetSec)
  const response = await authorize(p, client)
  return { s, done: s.callback(response) }
}

describe('provider clock ahead', () => {
  it('20 s ahead (within the default 30 s tolerance): accepted', async () => {
    const { s, done } = await signInSkewed(20)
    await done
    expect(s.store.writes).toHaveLength(1)
  })

  it('120 s ahead: the ID token iat is in the future → ID_TOKEN_IAT_INVALID, nothing stored', async () => {
    const { s, done } = await signInSkewed(120)
    await refused(done, 'ID_TOKEN_IAT_INVALID')
    await expectNothingStored(s.store)
  })

  it('120 s ahead with clockToleranceSec 180: accepted', async () => {
    const { done } = await signInSkewed(120, 180)
    await expect(done).resolves.toBeDefined()
  })
})

describe('provider clock behind', () => {
  it('5 minutes behind: iat 5 minutes old is still fresh, accepted', async () => {
    const { done } = await signInSkewed(-300)
    await expect(done).resolves.toBeDefined()
  })

  it('an hour and a half behind: the token expired before it arrived → refused, nothing stored', async () => {
    const { s, done } = await signInSkewed(-5400)
    await refused(done, 'ID_TOKEN_EXPIRED')
    await expectNothingStored(s.store)
  })

  it('20 minutes behind: iat older than idTokenMaxAgeSec (600 s) → ID_TOKEN_IAT_INVALID', async () => {
    const { s, done } = await signInSkewed(-1200)
    await refused(done, 'ID_TOKEN_IAT_INVALID')
    await expectNothingStored(s.store)
  })
})

describe('expires_in', () => {
  it('missing: the set has no expiry and is used until the provider refuses it', async () => {
    const client = await p.spa()
    const s = session(client)
    await s.callback(await authorize(p, client, {}, { tokenResponse: { omitExpiresIn: true } }))
    const stored = await s.manager.getTokenSet()
    expect(stored?.expiresAt).toBeUndefined()
    expect(stored?.isExpired(60)).toBe(false)
    p.server.control.clearRequests()
    await expect(s.manager.getAccessToken()).resolves.toBe(stored?.accessToken)
    expect(p.hits('token')).toBe(0)
  })

  it('a numeric string is read as seconds', async () => {
    const client = await p.spa()
    const s = session(client)
    const tokens = await s.callback(
      await authorize(p, client, {}, { tokenResponse: { expiresIn: '120' } }),
    )
    expect(tokens.expiresIn()).toBeGreaterThan(100)
    expect(tokens.expiresIn()).toBeLessThanOrEqual(120)
  })

  it.each<[string, unknown]>([
    ['negative', -60],
    ['not a number', 'soon'],
    ['an object', { seconds: 60 }],
  ])('%s → TOKEN_RESPONSE_INVALID, nothing stored', async (_name, expiresIn) => {
    const client = await p.spa()
    const s = session(client)
    const response = await authorize(p, client, {}, { tokenResponse: { expiresIn } })
    await refused(s.callback(response), 'TOKEN_RESPONSE_INVALID')
    await expectNothingStored(s.store)
    expect(await s.store.get(SESSION_KEY)).toBeUndefined()
  })
})
