/**
 * Regression: isAuthenticated() told an expired access token from a valid one by the device's
 * time (`Date.now()`), not by the client's `clock`, which every other expiry decision of the
 * SpaClient follows: with a clock ahead of the device's, a session that getAccessToken() had to
 * end still counted as signed in.
 */
import { withHybridAndImplicit } from '@openrp/core'
import { completeLogin } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { useSpaServer } from './spa-server.ts'

const rp = useSpaServer()

describe('isAuthenticated', () => {
  it("judges the access token's expiry by the client's clock", async () => {
    const clock = new ManualClock(Date.now())
    // No refresh token (implicit) and no silent renewal: nothing can renew this session.
    const { spa, navigator } = rp.setup({
      clientId: 'legacy-spa',
      responseType: 'id_token token',
      hybridAndImplicit: withHybridAndImplicit,
      silent: false,
      clock,
    })
    await spa.loginWithRedirect()
    navigator.url = (await completeLogin(navigator.assigned.at(-1)!)).url.toString()
    const { tokenSet } = await spa.handleRedirectCallback()
    expect(tokenSet?.refreshToken).toBeUndefined()
    expect(await spa.isAuthenticated()).toBe(true)
    // The client's time passes the token's expiry; the device's does not.
    await clock.advance((tokenSet!.expiresAt! + 60) * 1000 - clock.now())
    expect(await spa.isAuthenticated()).toBe(false)
  })
})
