/**
 * Regression: a popup login whose authorization request was pushed (PAR, RFC 9126: the provider
 * requires it) has no `state` in the URL the popup is sent to (only `client_id` and
 * `request_uri`). The popup's state was read from that URL, so it was missing: the app did not
 * listen on the state's BroadcastChannel, and a popup the provider cut off from the app (COOP)
 * answered into the void until POPUP_TIMEOUT. The state now comes from the login's transaction.
 */
import { CookieJar, completeLogin, DEMO_USERS } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { handlePopupCallback } from '../src/callback.ts'
import { useSpaServer } from './spa-server.ts'

const rp = useSpaServer()

describe('popup login with a pushed authorization request', () => {
  it('answers a popup cut off from the app (COOP) on its state channel', {
    timeout: 10_000,
  }, async () => {
    const discovered = await (
      await fetch(`${rp.server.issuer}/.well-known/openid-configuration`)
    ).json()
    const { spa, navigator } = rp.setup({
      issuer: undefined,
      metadata: { ...discovered, require_pushed_authorization_requests: true },
      // Time stands still: only the popup's answer can end this login.
      clock: new ManualClock(Date.now()),
      popup: { openerSevered: true },
    })
    const login = spa.loginWithPopup()
    const authorizationUrl = new URL(await navigator.popupNavigated())
    expect(authorizationUrl.searchParams.get('request_uri')).toBeTruthy()
    expect(authorizationUrl.searchParams.has('state')).toBe(false)
    const done = await completeLogin(authorizationUrl, { cookieJar: new CookieJar() })
    // The callback page, without an opener, answers on the BroadcastChannel of its state.
    const popupPage = {
      opener: null,
      location: { href: done.url.toString(), origin: done.url.origin },
      close() {},
    }
    expect(handlePopupCallback(popupPage as unknown as Window)).toBe(true)
    const tokens = await login
    expect(tokens.claims()?.sub).toBe(DEMO_USERS[0]!.sub)
  })
})
