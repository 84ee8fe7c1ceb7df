/**
 * A silent renewal answers for whoever is signed in at the provider now. When that is another
 * user (bob signed in at the provider in another app since alice logged in here), alice's
 * session ends: SESSION_EXPIRED caused by ID_TOKEN_SUB_MISMATCH, an `expired` event, nothing of
 * bob's kept. Before, the renewal failed with ID_TOKEN_SUB_MISMATCH and backed off, and alice's
 * session stayed "signed in" with an access token nobody could renew.
 */
import { isOpenRpError, type OpenRpError, withHybridAndImplicit } from '@openrp/core'
import { CookieJar, completeLogin, DEMO_USERS } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { postCallback, useSpaServer } from './spa-server.ts'

const rp = useSpaServer()

const [alice, bob] = DEMO_USERS as [(typeof DEMO_USERS)[number], (typeof DEMO_USERS)[number]]

describe('a silent renewal that returns another user', () => {
  it('ends the session with SESSION_EXPIRED and keeps nothing of the other user', async () => {
    const { spa, navigator, store } = rp.setup({
      clientId: 'legacy-spa',
      hybridAndImplicit: withHybridAndImplicit,
    })
    await spa.loginWithRedirect({ responseType: 'id_token token' })
    const aliceLogin = await completeLogin(navigator.assigned.at(-1)!, {
      cookieJar: new CookieJar(),
      username: alice.username,
      password: alice.password,
    })
    navigator.url = aliceLogin.url.toString()
    await spa.handleRedirectCallback()
    expect((await spa.getUser())?.sub).toBe(alice.sub)

    // Bob is signed in at the provider now: that browser's cookies answer the iframe.
    const bobJar = new CookieJar()
    const other = rp.setup({ clientId: 'legacy-spa', hybridAndImplicit: withHybridAndImplicit })
    await other.spa.loginWithRedirect()
    await completeLogin(other.navigator.assigned.at(-1)!, {
      cookieJar: bobJar,
      username: bob.username,
      password: bob.password,
    })

    const expired: { error: OpenRpError }[] = []
    spa.on('expired', (event) => expired.push(event))
    const renewal = spa.refresh().catch((error: unknown) => error)
    await navigator.frameCreated()
    const frame = navigator.frames[0]!
    const done = await completeLogin(frame.url, { cookieJar: bobJar })
    postCallback(navigator, frame.window, done.url.toString())

    const error = (await renewal) as OpenRpError
    expect(isOpenRpError(error, 'SESSION_EXPIRED')).toBe(true)
    expect(isOpenRpError(error.cause, 'ID_TOKEN_SUB_MISMATCH')).toBe(true)
    expect(expired).toHaveLength(1)
    expect(await spa.isAuthenticated()).toBe(false)
    expect(await spa.getUser()).toBeUndefined()
    expect(await store.get(rp.key)).toBeUndefined()
  })
})
