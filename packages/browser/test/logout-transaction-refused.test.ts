/**
 * Regression: when sessionStorage refused the logout's transaction (full, or blocked),
 * logout() rejected with STORE_ERROR after it had cleared the session and revoked the tokens,
 * and never went to the provider's end_session endpoint: the user stayed signed in there. The
 * logout now goes on without `state` (its return is a plain page load, not a callback) and the
 * failure is an `error` event.
 */
import { CookieJar, completeLogin } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { nextEvent, ORIGIN, useSpaServer } from './spa-server.ts'

const rp = useSpaServer({}, { postLogoutRedirectUri: `${ORIGIN}/` })

describe('a logout whose transaction sessionStorage refuses', () => {
  it('still goes to end_session, without state, and reports STORE_ERROR as an error event', async () => {
    const { spa, navigator, store } = rp.setup()
    await spa.loginWithRedirect()
    const jar = new CookieJar()
    navigator.url = (await completeLogin(navigator.assigned.at(-1)!, { cookieJar: jar })).url.href
    const { tokenSet } = await spa.handleRedirectCallback()
    rp.server.control.clearRequests()

    navigator.sessionStorage.refuseWrites = true
    const reported = nextEvent(spa, 'error')
    await spa.logout()
    expect((await reported).code).toBe('STORE_ERROR')
    expect(await store.get(rp.key)).toBeUndefined()
    expect(rp.server.control.requests({ endpoint: 'revocation' })).toHaveLength(2)
    const endSession = new URL(navigator.assigned.at(-1)!)
    expect(endSession.pathname).toBe('/end_session')
    expect(endSession.searchParams.get('id_token_hint')).toBe(tokenSet?.idToken)
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${ORIGIN}/`)
    expect(endSession.searchParams.has('state')).toBe(false)
    expect([...navigator.sessionStorage.items.keys()]).toEqual([])

    // The provider ends its session and sends the browser back, to a page load that is no
    // callback.
    const back = await fetch(endSession, { redirect: 'manual' })
    const location = back.headers.get('location')!
    expect(location).toBe(`${ORIGIN}/`)
    expect(spa.isRedirectCallback(location)).toBe(false)
  })
})
