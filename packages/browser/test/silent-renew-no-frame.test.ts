/**
 * Regression: when the hidden iframe of a silent renewal could not be created (no
 * `document.body` yet, so `appendChild` of null), runSilentRequest left its `message` listener
 * registered for good, and the bare TypeError came out of refresh() / getAccessToken() (an
 * `error` event wrapped it as OAUTH_ERROR). It now rejects with UNSUPPORTED (the TypeError as
 * its cause) and leaves no listener or timer; the session is kept.
 *
 * That failure is this tab's (its page), not the provider's: it was written to the failure
 * record shared through the store, and for the backoff another tab's renewal then failed with
 * UNSUPPORTED too, without trying. It is now remembered in this tab only.
 */
import { InProcessLock, isOpenRpError, MemoryStore, withHybridAndImplicit } from '@openrp/core'
import { CookieJar, completeLogin } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { postCallback, useSpaServer } from './spa-server.ts'

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

  it('is remembered in this tab only: another tab of the same store still renews', async () => {
    const clock = new ManualClock(Date.now())
    // Two tabs: one store and one lock (IndexedDB and Web Locks in a browser).
    const store = new MemoryStore()
    const lock = new InProcessLock()
    // No offline_access: the implicit login's consent covers the silent renewal's scope.
    const tab = {
      clientId: 'legacy-spa',
      hybridAndImplicit: withHybridAndImplicit,
      scope: 'openid profile email',
      clock,
      store,
      lock,
    }
    const { spa, navigator } = rp.setup(tab)
    await spa.loginWithRedirect({ responseType: 'id_token token' })
    const jar = new CookieJar()
    navigator.url = (await completeLogin(navigator.assigned.at(-1)!, { cookieJar: jar })).url.href
    const { tokenSet } = await spa.handleRedirectCallback()

    // This tab has no document.body yet.
    let tries = 0
    navigator.createHiddenFrame = () => {
      tries++
      throw new TypeError("Cannot read properties of null (reading 'appendChild')")
    }
    const failure = await spa.refresh().catch((error: unknown) => error)
    expect(isOpenRpError(failure, 'UNSUPPORTED')).toBe(true)

    const other = rp.setup(tab)
    const renewal = other.spa.refresh()
    // Its renewal opens its iframe (before, it failed at once with this tab's UNSUPPORTED).
    const frame = await Promise.race([
      other.navigator.frameCreated(),
      renewal.then(() => undefined),
    ])
    if (!frame) throw new Error('renewed without its iframe')
    const done = await completeLogin(frame.url, { cookieJar: jar })
    postCallback(other.navigator, frame.window, done.url.toString())
    const renewed = await renewal
    expect(renewed.accessToken).not.toBe(tokenSet?.accessToken)
    expect((await spa.getTokenSet())?.accessToken).toBe(renewed.accessToken)
    // This tab itself backs off: no new try before its backoff ends.
    expect(isOpenRpError(await spa.refresh().catch((error: unknown) => error), 'UNSUPPORTED')).toBe(
      true,
    )
    expect(tries).toBe(1)
  })
})
