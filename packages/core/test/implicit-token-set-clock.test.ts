/**
 * An implicit `id_token token` response is dated by the client's clock, like every token
 * endpoint answer: its expiry is judged by that clock later (TokenManager, isAuthenticated).
 */
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()

describe('id_token token (implicit) with a clock of its own', () => {
  it('dates the token set by the client clock, not the device clock', async () => {
    // The client's clock is ten minutes ahead of the device's (e.g. corrected for its drift).
    const clock = new ManualClock(Date.now() + 600_000)
    const client = await h.client({
      clientId: 'legacy-spa',
      redirectUri: SPA_REDIRECT,
      scope: 'openid profile api:read',
      clock,
    })
    const { url, transaction } = await login(client, { responseType: 'id_token token' })
    const tokens = await client.handleAuthorizationResponse(url, transaction)
    const now = Math.floor(clock.now() / 1000)
    expect(tokens.issuedAt).toBe(now)
    expect(tokens.expiresIn(now)).toBeGreaterThan(60)
  })
})
