/**
 * Regression: a redirect login the user abandoned at the provider (back button, closed page)
 * left its transaction (PKCE verifier, nonce, state) in sessionStorage until the tab closed;
 * after its lifetime it was refused, but never removed, and each new attempt added one more.
 * A later login now removes the ones past their lifetime, and only those.
 */
import { CookieJar, completeLogin } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { TRANSACTION_TTL_MS } from '../src/transaction-store.ts'
import type { ScriptedNavigator } from './spa-fakes.ts'
import { useSpaServer } from './spa-server.ts'

const rp = useSpaServer()

/** The login transactions waiting in the tab's sessionStorage. */
function pendingKeys(navigator: ScriptedNavigator): string[] {
  return [...navigator.sessionStorage.items.keys()].filter((key) => key.startsWith('openrp.tx.'))
}

describe('an abandoned redirect login', () => {
  it("is removed by a later login past its lifetime; a younger one's transaction stays", async () => {
    // Started in the past so that the provider's ID token, issued now, is fresh at the end.
    const clock = new ManualClock(Date.now() - TRANSACTION_TTL_MS - 1)
    const { spa, navigator } = rp.setup({ clock })
    await spa.loginWithRedirect()
    const [abandoned] = pendingKeys(navigator)
    // Back from the provider; a second attempt is abandoned too, ten minutes later.
    await clock.advance(10 * 60_000)
    await spa.loginWithRedirect()
    const [younger] = pendingKeys(navigator).filter((key) => key !== abandoned)
    expect(pendingKeys(navigator).sort()).toEqual([abandoned, younger].sort())

    await clock.advance(TRANSACTION_TTL_MS - 10 * 60_000 + 1)
    await spa.loginWithRedirect()
    const done = await completeLogin(navigator.assigned.at(-1)!, { cookieJar: new CookieJar() })
    navigator.url = done.url.toString()
    expect((await spa.handleRedirectCallback()).type).toBe('login')
    expect(await spa.isAuthenticated()).toBe(true)
    expect(pendingKeys(navigator)).toEqual([younger])
  })
})
