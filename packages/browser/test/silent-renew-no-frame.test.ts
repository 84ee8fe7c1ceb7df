/**
 * Regression: when the hidden iframe of a silent renewal could not be created (no
 * `document.body` yet, so `appendChild` of null), runSilentRequest left its `message` listener
 * registered for good, and the bare TypeError came out of refresh() / getAccessToken() (an
 * `error` event wrapped it as OAUTH_ERROR). It now rejects with UNSUPPORTED (the TypeError as
 * its cause) and leaves no listener or timer; the session is kept.
 */
import { isOpenRpError, withHybridAndImplicit } from '@openrp/core'
import { CookieJar, completeLogin } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { useSpaServer } from './spa-server.ts'

const rp = useSpaServer()

describe('a silent renewal whose iframe cannot be created', () => {
  it('rejects with UNSUPPORTED and leaves no listener or timer; the session stays', async () => {
    const clock = new ManualClock(Date.now())
    // No refresh token (implicit): renewal is silent, in a hidden iframe.
    const { spa, navigator } = rp.setup({
      clientId: 'legacy-spa',
      hybridAndImplicit: withHybridAndImplicit,
      clock,
    })
    await spa.loginWithRedirect({ responseType: 'id_token token' })
    const jar = new CookieJar()
    navigator.url = (await completeLogin(navigator.assigned.at(-1)!, { cookieJar: jar })).url.href
    const { tokenSet } = await spa.handleRedirectCallback()

    const noBody = new TypeError("Cannot read properties of null (reading 'appendChild')")
    navigator.createHiddenFrame = () => {
      throw noBody
    }
    const failure = await spa.refresh().then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(isOpenRpError(failure, 'UNSUPPORTED')).toBe(true)
    expect((failure as Error).cause).toBe(noBody)
    expect(navigator.listeners.size).toBe(0)
    expect(clock.pendingTimers).toBe(0)
    expect((await spa.getTokenSet())?.accessToken).toBe(tokenSet?.accessToken)
  })
})
