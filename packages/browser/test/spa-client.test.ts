/**
 * SpaClient against the real reference server over HTTP. The browser surface (address bar,
 * popup, iframe, postMessage) is the scripted navigator; the provider's login form is filled by
 * the reference server's `completeLogin` helper, as a browser would. Real Chromium runs of the
 * same flows are in e2e/.
 */
import { InProcessLock, isOpenRpError, MemoryStore, withHybridAndImplicit } from '@openrp/core'
import { CookieJar, completeLogin, DEMO_USERS } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { createSpaClient, SpaClient } from '../src/spa-client.ts'
import type { SpaClientInit } from '../src/spa-options.ts'
import { ScriptedNavigator } from './spa-fakes.ts'
import { makeDue, nextEvent, ORIGIN, postCallback, useSpaServer } from './spa-server.ts'

const rp = useSpaServer({ enableControlEndpoint: true }, { postLogoutRedirectUri: `${ORIGIN}/` })
const { setup } = rp

/** Runs a redirect login through the provider's form; returns the callback URL. */
async function redirectLogin(
  spa: SpaClient,
  navigator: ScriptedNavigator,
  options: Parameters<SpaClient['loginWithRedirect']>[0] = {},
  jar = new CookieJar(),
): Promise<string> {
  await spa.loginWithRedirect(options)
  const authorizationUrl = navigator.assigned.at(-1)!
  const done = await completeLogin(authorizationUrl, { cookieJar: jar })
  navigator.url = done.url.toString()
  return navigator.url
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (error) {
    return isOpenRpError(error) ? error.code : `not an OpenRpError: ${String(error)}`
  }
  return undefined
}

describe('createSpaClient', () => {
  it('refuses unusable options with INVALID_ARGUMENT', () => {
    const base = { clientId: 'spa', redirectUri: `${ORIGIN}/`, navigator: new ScriptedNavigator() }
    const attempts: (() => unknown)[] = [
      () => createSpaClient({ ...base }),
      () => createSpaClient({ ...base, issuer: rp.server.issuer, clientId: '' }),
      () => createSpaClient({ ...base, issuer: rp.server.issuer, redirectUri: 'not a url' }),
      // Outside a browser (this test runs in Node) a navigator must be given.
      () =>
        createSpaClient({ issuer: rp.server.issuer, clientId: 'spa', redirectUri: `${ORIGIN}/` }),
      // A store name that does not exist, and SpaClient's constructor without instances.
      () => createSpaClient({ ...base, issuer: rp.server.issuer, store: 'cookies' as 'memory' }),
      () => new SpaClient({ ...base, issuer: rp.server.issuer } as unknown as SpaClientInit),
      () =>
        new SpaClient({
          ...base,
          issuer: rp.server.issuer,
          store: new MemoryStore(),
        } as unknown as SpaClientInit),
      // DPoP as a boolean is createSpaClient's; the constructor takes a SpaDpop.
      () =>
        new SpaClient({
          ...base,
          issuer: rp.server.issuer,
          store: new MemoryStore(),
          lock: new InProcessLock(),
          dpop: true,
        } as unknown as SpaClientInit),
    ]
    for (const attempt of attempts) {
      let code: string | undefined
      try {
        attempt()
      } catch (error) {
        code = isOpenRpError(error) ? error.code : String(error)
      }
      expect(code).toBe('INVALID_ARGUMENT')
    }
  })

  it('new SpaClient takes the store and lock as instances and uses them', async () => {
    const store = new MemoryStore()
    const navigator = new ScriptedNavigator()
    const spa = new SpaClient({
      issuer: rp.server.issuer,
      clientId: 'spa',
      redirectUri: `${ORIGIN}/`,
      scope: 'openid profile email offline_access api:read',
      store,
      lock: new InProcessLock(),
      navigator,
      autoRefresh: false,
    })
    rp.track(spa)
    await spa.handleRedirectCallback(await redirectLogin(spa, navigator))
    expect(await store.get(rp.key)).toBeDefined()
    expect(await spa.isAuthenticated()).toBe(true)
  })
})

describe('redirect login', () => {
  it('signs in with code + PKCE, strips the response from the address bar, refuses a replay', async () => {
    const { spa, navigator, store } = setup()
    const events: string[] = []
    spa.on('login', ({ source }) => events.push(`login:${source}`))
    navigator.url = `${ORIGIN}/orders?tab=2`
    const callbackUrl = await redirectLogin(spa, navigator)
    expect(new URL(callbackUrl).searchParams.get('code')).toBeTruthy()
    expect(spa.isRedirectCallback()).toBe(true)

    const result = await spa.handleRedirectCallback()
    expect(result.type).toBe('login')
    expect(result.returnTo).toBe('/orders?tab=2')
    expect(result.tokenSet?.refreshToken).toBeTruthy()
    expect(navigator.url).toBe(`${ORIGIN}/`)
    expect(await spa.isAuthenticated()).toBe(true)
    expect((await spa.getUser())?.sub).toBe(DEMO_USERS[0]!.sub)
    expect(await store.get(rp.key)).toBeDefined()
    expect(events).toEqual(['login:this-tab'])

    // The same response again: its transaction was used up.
    const before = await spa.getTokenSet()
    expect(await codeOf(spa.handleRedirectCallback(callbackUrl))).toBe('STATE_MISMATCH')
    expect((await spa.getTokenSet())?.accessToken).toBe(before?.accessToken)
  })

  it('refuses a response with an unknown state and stores nothing', async () => {
    const { spa, store } = setup()
    const url = `${ORIGIN}/?code=forged&state=unknown&iss=${encodeURIComponent(rp.server.issuer)}`
    expect(await codeOf(spa.handleRedirectCallback(url))).toBe('STATE_MISMATCH')
    expect(await store.get(rp.key)).toBeUndefined()
    expect(await spa.isAuthenticated()).toBe(false)
  })

  it('refuses a response whose iss names another provider', async () => {
    const { spa, navigator, store } = setup()
    rp.server.control.setFaults({ authorizationResponse: { iss: 'wrong' } })
    await redirectLogin(spa, navigator)
    expect(await codeOf(spa.handleRedirectCallback())).toBe('ISS_MISMATCH')
    expect(new URL(navigator.url).search).toBe('')
    expect(await store.get(rp.key)).toBeUndefined()
  })

  it('refuses a returnTo on another origin before leaving the page', async () => {
    const { spa, navigator } = setup()
    expect(await codeOf(spa.loginWithRedirect({ returnTo: 'https://evil.test/' }))).toBe(
      'REDIRECT_NOT_ALLOWED',
    )
    expect(navigator.assigned).toEqual([])
  })

  it('without returnTo, a current page that is not an allowed target returns to /', async () => {
    const { spa, navigator } = setup({ allowedReturnTo: ['/home', '/orders/'] })
    navigator.url = `${ORIGIN}/admin/secret`
    await redirectLogin(spa, navigator)
    expect((await spa.handleRedirectCallback()).returnTo).toBe('/')
    // An allowed current page is kept; an explicit target that is not allowed is refused.
    navigator.url = `${ORIGIN}/orders/7`
    await redirectLogin(spa, navigator)
    expect((await spa.handleRedirectCallback()).returnTo).toBe('/orders/7')
    expect(await codeOf(spa.loginWithRedirect({ returnTo: '/admin/secret' }))).toBe(
      'REDIRECT_NOT_ALLOWED',
    )
    // A current URL that would be an open redirect falls back to / too.
    navigator.url = `${ORIGIN}/.//evil.example/`
    await redirectLogin(spa, navigator)
    expect((await spa.handleRedirectCallback()).returnTo).toBe('/')
  })

  it.each(['code id_token' as const, 'id_token token' as const])(
    'refuses %s before leaving the page unless hybridAndImplicit is given',
    async (responseType) => {
      const { spa, navigator } = setup({ clientId: 'legacy-spa' })
      expect(await codeOf(spa.loginWithRedirect({ responseType }))).toBe('UNSUPPORTED')
      expect(navigator.assigned).toEqual([])
    },
  )

  it.each([
    ['code id_token' as const, true],
    ['id_token token' as const, false],
  ])('completes the legacy %s response from the fragment', async (responseType, hasRefresh) => {
    const { spa, navigator } = setup({
      clientId: 'legacy-spa',
      hybridAndImplicit: withHybridAndImplicit,
    })
    const url = await redirectLogin(spa, navigator, { responseType })
    expect(new URL(url).hash).toContain('id_token=')
    const { tokenSet } = await spa.handleRedirectCallback()
    expect(tokenSet?.claims()?.sub).toBeTruthy()
    expect(tokenSet?.refreshToken !== undefined).toBe(hasRefresh)
    expect(navigator.url).toBe(`${ORIGIN}/`)
  })
})

describe('popup login', () => {
  it('takes the response from its popup and signs in', async () => {
    const { spa, navigator } = setup({ popup: { closedPollMs: 20, timeoutMs: 10_000 } })
    const login = spa.loginWithPopup()
    // The popup was opened synchronously, before any await.
    expect(navigator.popup).toBeDefined()
    await navigator.popupNavigated()
    const done = await completeLogin(navigator.popup!.url!)
    expect(done.url.pathname).toBe('/popup-callback.html')
    postCallback(navigator, navigator.popup!.window, done.url.toString())
    const tokens = await login
    expect(tokens.claims()?.sub).toBe(DEMO_USERS[0]!.sub)
    expect(navigator.popup!.closed).toBe(true)
    expect(await spa.isAuthenticated()).toBe(true)
  })

  it('rejects with POPUP_BLOCKED when the browser blocks it', async () => {
    const { spa, navigator } = setup()
    navigator.blockPopups = true
    expect(await codeOf(spa.loginWithPopup())).toBe('POPUP_BLOCKED')
  })

  it('rejects with POPUP_CLOSED when the user closes it, checking on the client clock', async () => {
    const clock = new ManualClock(Date.now())
    const { spa, navigator } = setup({ clock, popup: { closedPollMs: 1000 } })
    const login = spa.loginWithPopup()
    let code: string | undefined
    void codeOf(login).then((c) => {
      code = c
    })
    await navigator.popupNavigated()
    navigator.popup!.closed = true
    // Seen closed at the next check, then a grace for a message still on its way.
    await clock.advance(1000 + 199)
    expect(code).toBeUndefined()
    await clock.advance(1)
    expect(code).toBe('POPUP_CLOSED')
    expect(await spa.isAuthenticated()).toBe(false)
  })
})

describe('tokens', () => {
  it('refreshes once for many concurrent callers when the token is about to expire', async () => {
    const { spa, navigator, store } = setup()
    await redirectLogin(spa, navigator)
    const { tokenSet } = await spa.handleRedirectCallback()
    await makeDue(store, rp.key)
    rp.server.control.clearRequests()
    const tokens = await Promise.all(Array.from({ length: 20 }, () => spa.getAccessToken()))
    expect(new Set(tokens).size).toBe(1)
    expect(tokens[0]).not.toBe(tokenSet?.accessToken)
    expect(
      rp.server.control.requests({ endpoint: 'token', grantType: 'refresh_token' }),
    ).toHaveLength(1)
  })

  it('refresh() renews now and calls the API with the new token', async () => {
    const { spa, navigator } = setup()
    await redirectLogin(spa, navigator)
    const { tokenSet } = await spa.handleRedirectCallback()
    const refreshed: string[] = []
    spa.on('refreshed', ({ source }) => refreshed.push(source))
    const next = await spa.refresh()
    expect(next.accessToken).not.toBe(tokenSet?.accessToken)
    expect(refreshed).toEqual(['this-tab'])
    const response = await spa.fetch(`${rp.server.issuer}/api/me`)
    expect(response.status).toBe(200)
    expect(((await response.json()) as { sub: string }).sub).toBe(tokenSet?.claims()?.sub)
  })

  it('renews silently in a hidden iframe when there is no refresh token', async () => {
    const jar = new CookieJar()
    const { spa, navigator } = setup({
      clientId: 'legacy-spa',
      hybridAndImplicit: withHybridAndImplicit,
    })
    await redirectLogin(spa, navigator, { responseType: 'id_token token' }, jar)
    const { tokenSet } = await spa.handleRedirectCallback()
    const renewal = spa.refresh()
    await navigator.frameCreated()
    const frame = navigator.frames[0]!
    expect(new URL(frame.url).searchParams.get('prompt')).toBe('none')
    const done = await completeLogin(frame.url, { cookieJar: jar })
    postCallback(navigator, frame.window, done.url.toString())
    const next = await renewal
    expect(next.accessToken).not.toBe(tokenSet?.accessToken)
    expect(next.claims()?.sub).toBe(tokenSet?.claims()?.sub)
    expect(frame.removed).toBe(true)
  })

  it('surfaces login_required from silent renewal as InteractionRequiredError and ends the session', async () => {
    const { spa, navigator } = setup({
      clientId: 'legacy-spa',
      hybridAndImplicit: withHybridAndImplicit,
    })
    await redirectLogin(spa, navigator, { responseType: 'id_token token' })
    await spa.handleRedirectCallback()
    const expired: unknown[] = []
    spa.on('expired', (event) => expired.push(event))
    const renewal = spa.refresh()
    await navigator.frameCreated()
    const frame = navigator.frames[0]!
    // A fresh browser: no provider session cookie.
    const done = await completeLogin(frame.url, { cookieJar: new CookieJar() }).catch(
      () => undefined,
    )
    const state = new URL(frame.url).searchParams.get('state')
    const answer =
      done?.url.toString() ??
      `${ORIGIN}/silent-callback.html?error=login_required&state=${state}&iss=${encodeURIComponent(rp.server.issuer)}`
    postCallback(navigator, frame.window, answer)
    expect(await codeOf(renewal)).toBe('INTERACTION_REQUIRED')
    expect(await spa.isAuthenticated()).toBe(false)
    expect(expired).toHaveLength(1)
  })

  it('says LOGIN_REQUIRED when nobody signed in', async () => {
    const { spa } = setup()
    expect(await codeOf(spa.getAccessToken())).toBe('LOGIN_REQUIRED')
  })
})

describe('several tabs', () => {
  it('tells the other tab about login and logout', async () => {
    const a = setup({ storageKey: 'openrp:tabs-test' })
    const store = a.store
    const b = setup({ storageKey: 'openrp:tabs-test', store })
    const seen: string[] = []
    b.spa.on('login', ({ source }) => seen.push(`login:${source}`))
    b.spa.on('logout', ({ source }) => seen.push(`logout:${source}`))
    await b.spa.getTokenSet() // b listens from now on
    const loginHeard = nextEvent(b.spa, 'login')
    await redirectLogin(a.spa, a.navigator)
    await a.spa.handleRedirectCallback()
    await loginHeard
    expect(seen).toEqual(['login:other-tab'])
    expect(await b.spa.isAuthenticated()).toBe(true)
    const logoutHeard = nextEvent(b.spa, 'logout')
    await a.spa.logout({ localOnly: true })
    await logoutHeard
    expect(seen).toEqual(['login:other-tab', 'logout:other-tab'])
    expect(await b.spa.isAuthenticated()).toBe(false)
  })
})

describe('session end', () => {
  it('a refused refresh token ends the session once, with expired, and no retry loop', async () => {
    const { spa, navigator, store } = setup()
    await redirectLogin(spa, navigator)
    const { tokenSet } = await spa.handleRedirectCallback()
    const expired: string[] = []
    spa.on('expired', ({ error, source }) => expired.push(`${error.code}:${source}`))
    // Another tab sharing the store had the session too.
    const other = setup({ store })
    const otherExpired: string[] = []
    other.spa.on('expired', ({ error, source }) => otherExpired.push(`${error.code}:${source}`))
    const otherEnded = nextEvent(other.spa, 'expired')
    expect(await other.spa.isAuthenticated()).toBe(true)
    // The provider forgets the grant (as after a revocation elsewhere).
    const revoked = await fetch(`${rp.server.issuer}/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: tokenSet!.refreshToken!, client_id: 'spa' }),
    })
    expect(revoked.status).toBe(200)
    rp.server.control.clearRequests()
    expect(await codeOf(spa.refresh())).toBe('SESSION_EXPIRED')
    // Asking again answers from memory: no second refresh request.
    expect(await codeOf(spa.getAccessToken())).toBe('SESSION_EXPIRED')
    expect(expired).toEqual(['SESSION_EXPIRED:this-tab'])
    expect(await store.get(rp.key)).toBeUndefined()
    // The other tab ends it too, once, saying where it came from, without a request.
    expect(await codeOf(other.spa.getAccessToken())).toBe('SESSION_EXPIRED')
    await otherEnded
    expect(otherExpired).toEqual(['SESSION_EXPIRED:other-tab'])
    expect(
      rp.server.control.requests({ endpoint: 'token', grantType: 'refresh_token' }),
    ).toHaveLength(1)
  })
})

describe('logout', () => {
  it('revokes, clears, and goes to end_session with id_token_hint, post_logout_redirect_uri and state', async () => {
    const { spa, navigator, store } = setup()
    await redirectLogin(spa, navigator)
    const { tokenSet } = await spa.handleRedirectCallback()
    rp.server.control.clearRequests()
    await spa.logout()
    expect(rp.server.control.requests({ endpoint: 'revocation' })).toHaveLength(2)
    expect(await store.get(rp.key)).toBeUndefined()
    const endSession = new URL(navigator.assigned.at(-1)!)
    expect(endSession.searchParams.get('id_token_hint')).toBe(tokenSet?.idToken)
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${ORIGIN}/`)
    const state = endSession.searchParams.get('state')
    expect(state).toBeTruthy()

    const back = await fetch(endSession, { redirect: 'manual' })
    const location = back.headers.get('location')!
    expect(new URL(location).searchParams.get('state')).toBe(state)
    navigator.url = location
    // A lone state is a callback only as the return of the logout this app started.
    expect(spa.isRedirectCallback(`${ORIGIN}/?state=CA`)).toBe(false)
    expect(spa.isRedirectCallback()).toBe(true)
    expect(await spa.handleRedirectCallback()).toEqual({ type: 'logout', returnTo: '/' })
    expect(navigator.url).toBe(`${ORIGIN}/`)
    // Handled once: the same URL again is no callback.
    expect(spa.isRedirectCallback(location)).toBe(false)
  })

  it('refuses a post-logout target that is not allowed', async () => {
    const { spa, navigator } = setup()
    expect(await codeOf(spa.logout({ returnTo: 'https://evil.test/' }))).toBe(
      'REDIRECT_NOT_ALLOWED',
    )
    expect(navigator.assigned).toEqual([])
  })
})
