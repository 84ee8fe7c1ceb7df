/**
 * SpaClient against the real reference server over HTTP: the login options it passes through to
 * the authorization request (`prompt`, `maxAge`, `loginHint`, `extraParams`), and the `error`
 * event when a refresh fails. The browser surface is the scripted navigator; the provider's
 * pages are answered by the reference server's `completeLogin` helper. The client runs on a
 * ManualClock: waits between retries pass when a test moves it, never in real time.
 */
import { isOpenRpError, MemoryStore, OAuthError, type OpenRpError } from '@openrp/core'
import { completeLogin, DEMO_USERS } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { beforeEach, describe, expect, it } from 'vitest'
import type { SpaClient } from '../src/spa-client.ts'
import type { SpaClientOptions } from '../src/spa-options.ts'
import type { ScriptedNavigator } from './spa-fakes.ts'
import { makeDue, nextEvent, postCallback, useSpaServer } from './spa-server.ts'
import { Wire } from './wire.ts'

/** Each test's clock (started at the real time), shared by the provider and the client. */
let clock: ManualClock
const rp = useSpaServer({ clock: { now: () => clock.now() } })
/** Each test's fetch: tells when every answer so far has been handled. */
let wire: Wire
beforeEach(() => {
  clock = new ManualClock(Date.now())
  wire = new Wire()
})

/** A `spa` client on this test's clock and fetch. */
function setup(options: Partial<SpaClientOptions> & { store?: MemoryStore } = {}) {
  return rp.setup({ clock, fetch: wire.fetch, ...options })
}

/**
 * Resolves with `work`'s outcome, moving the clock `stepMs` at a time while `work` waits on it
 * (backoff between retries, renewal timers); the requests of each step are answered before the
 * next.
 */
async function drive<T>(work: Promise<T>, stepMs = 250): Promise<T> {
  let settled = false
  const done = () => {
    settled = true
  }
  work.then(done, done)
  for (let ms = 0; ; ms += stepMs) {
    await wire.settled()
    if (settled) return work
    if (ms >= 120_000) throw new Error('still pending after 120 s of the clock')
    await clock.advance(stepMs)
  }
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

/** Signs in as `username` by redirect; returns the authorization URL that was used. */
async function signIn(
  spa: SpaClient,
  navigator: ScriptedNavigator,
  options: Parameters<SpaClient['loginWithRedirect']>[0] = {},
  username = 'alice',
): Promise<URL> {
  await spa.loginWithRedirect(options)
  const authorizationUrl = new URL(navigator.assigned.at(-1)!)
  const password = username === 'bob' ? 'builder' : 'wonderland'
  const done = await completeLogin(authorizationUrl, { username, password })
  navigator.url = done.url.toString()
  await spa.handleRedirectCallback()
  return authorizationUrl
}

describe('login options reach the authorization request', () => {
  it('loginWithRedirect sends prompt, max_age, login_hint and extraParams, and the login completes', async () => {
    const { spa, navigator } = setup()
    const url = await signIn(
      spa,
      navigator,
      { prompt: 'login', maxAge: 300, loginHint: 'bob', extraParams: { claims_locales: 'de' } },
      'bob',
    )
    expect(url.searchParams.get('prompt')).toBe('login')
    expect(url.searchParams.get('max_age')).toBe('300')
    expect(url.searchParams.get('login_hint')).toBe('bob')
    expect(url.searchParams.get('claims_locales')).toBe('de')
    const user = await spa.getUser()
    expect(user?.sub).toBe(DEMO_USERS[1]!.sub)
    // max_age was kept in the transaction: the ID token had to carry auth_time.
    expect(user?.auth_time).toEqual(expect.any(Number))
  })

  it('sends none of them when they are not given', async () => {
    const { spa, navigator } = setup()
    await spa.loginWithRedirect()
    const url = new URL(navigator.assigned.at(-1)!)
    for (const name of ['prompt', 'max_age', 'login_hint', 'claims_locales'])
      expect(url.searchParams.has(name)).toBe(false)
  })

  it('loginWithPopup sends them too', async () => {
    const { spa, navigator } = setup({ popup: { closedPollMs: 20, timeoutMs: 10_000 } })
    const login = spa.loginWithPopup({
      prompt: 'consent',
      maxAge: 60,
      loginHint: 'alice',
      extraParams: { claims_locales: 'fr' },
    })
    await navigator.popupNavigated()
    const url = new URL(navigator.popup!.url!)
    expect(url.searchParams.get('prompt')).toBe('consent')
    expect(url.searchParams.get('max_age')).toBe('60')
    expect(url.searchParams.get('login_hint')).toBe('alice')
    expect(url.searchParams.get('claims_locales')).toBe('fr')
    const done = await completeLogin(url)
    postCallback(navigator, navigator.popup!.window, done.url.toString())
    const tokens = await login
    expect(tokens.claims()?.sub).toBe(DEMO_USERS[0]!.sub)
    expect(tokens.claims()?.auth_time).toEqual(expect.any(Number))
  })

  it('refuses extraParams that would override a protocol parameter, before leaving the page', async () => {
    const { spa, navigator } = setup()
    const overrides: Record<string, string>[] = [
      { state: 'mine' },
      { redirect_uri: 'https://evil.test/' },
    ]
    for (const extraParams of overrides) {
      const error = await errorOf(spa.loginWithRedirect({ extraParams }))
      expect(isOpenRpError(error) && error.code).toBe('INVALID_ARGUMENT')
    }
    const error = await errorOf(spa.loginWithRedirect({ loginHint: 42 as unknown as string }))
    expect(isOpenRpError(error) && error.code).toBe('INVALID_ARGUMENT')
    expect(navigator.assigned).toEqual([])
  })
})

describe('the error event', () => {
  it('fires with a typed error when refresh() fails at the token endpoint; the session stays', async () => {
    const { spa, navigator, store } = setup()
    await signIn(spa, navigator)
    const before = await spa.getTokenSet()
    const errors: OpenRpError[] = []
    const expired: unknown[] = []
    spa.on('error', (error) => errors.push(error))
    spa.on('expired', (event) => expired.push(event))
    rp.server.control.setFaults({ http: { token: { status: 500 } } })

    const error = await errorOf(spa.refresh())
    expect(error).toBeInstanceOf(OAuthError)
    expect(isOpenRpError(error) && error.code).toBe('OAUTH_ERROR')
    expect((error as OAuthError).error).toBe('server_error')
    expect((error as OAuthError).status).toBe(500)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBe(error)
    expect(expired).toEqual([])
    // A server fault is not the end of the session: the tokens are still there.
    expect((await spa.getTokenSet())?.refreshToken).toBe(before?.refreshToken)
    expect(await store.get(rp.key)).toBeDefined()
    expect(await spa.isAuthenticated()).toBe(true)
    expect(
      rp.server.control.requests({ endpoint: 'token', grantType: 'refresh_token' }),
    ).toHaveLength(1)
  })

  it('fires for getAccessToken() when the due refresh fails; the still-valid token is used', async () => {
    const { spa, navigator, store } = setup()
    await signIn(spa, navigator)
    await makeDue(store, rp.key)
    const due = (await store.get(rp.key)) as { accessToken: string; expiresAt: number }
    const errors: string[] = []
    spa.on('error', (error) => errors.push(error.code))
    rp.server.control.setFaults({ http: { token: { status: 503 } } })
    expect(await spa.getAccessToken()).toBe(due.accessToken)
    expect(errors).toEqual(['OAUTH_ERROR'])
    // Once it has expired, the remembered failure is the answer, at once and without a request.
    await store.set(rp.key, { ...due, expiresAt: Math.floor(Date.now() / 1000) - 1 })
    rp.server.control.clearRequests()
    const error = await errorOf(spa.getAccessToken())
    expect(isOpenRpError(error) && error.code).toBe('OAUTH_ERROR')
    expect((error as OAuthError).status).toBe(503)
    expect(rp.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })

  it('fires for a background (proactive) refresh that fails, with no caller to reject', async () => {
    // A first page signs in and stores the session, then goes away.
    const store = new MemoryStore()
    const first = setup({ store })
    await signIn(first.spa, first.navigator)
    first.spa.close()
    await makeDue(store, rp.key)
    rp.server.control.setFaults({ http: { token: { status: 500 } } })

    // The next page load finds tokens that are due and refreshes them on its own.
    const { spa } = setup({ store, autoRefresh: true })
    const errors: OpenRpError[] = []
    const failed = new Promise((resolve) => {
      spa.on('error', (error) => resolve(errors.push(error)))
    })
    // Its timer runs on the client's clock.
    await drive(failed)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(OAuthError)
    expect(errors[0]?.code).toBe('OAUTH_ERROR')
    expect((errors[0] as OAuthError).status).toBe(500)
    expect(await store.get(rp.key)).toBeDefined()
  })
})

describe('time', () => {
  it('renews ahead of expiry on the client clock', async () => {
    const { spa, navigator } = setup({ autoRefresh: true })
    await signIn(spa, navigator)
    const first = (await spa.getTokenSet())!
    const refreshes = () =>
      rp.server.control.requests({ endpoint: 'token', grantType: 'refresh_token' })
    const refreshed = new Promise((resolve) => {
      spa.on('refreshed', resolve)
    })
    // Two minutes before expiry on the client clock, outside the 60 s skew: nothing is due.
    await clock.advance(first.expiresAt! * 1000 - 120_000 - clock.now())
    await wire.settled()
    expect(refreshes()).toHaveLength(0)
    // At the skew (60 s, plus up to 5 s of jitter, before expiry) the renewal is due: the timer
    // fires, and the clock stands still while the refresh travels (its deadline never passes).
    await clock.advance(60_000)
    await refreshed
    expect(refreshes()).toHaveLength(1)
    expect(clock.now()).toBeLessThan(first.expiresAt! * 1000)
    expect((await spa.getTokenSet())?.accessToken).not.toBe(first.accessToken)
  })
})

describe('logout is local first', () => {
  it('the session is gone before a slow revocation answers', async () => {
    const { spa, navigator, store } = setup()
    await signIn(spa, navigator)
    // Both revocations reach the provider and are held there, unanswered.
    const hold = rp.server.control.hold({ endpoint: 'revocation', stage: 'request' })
    const done = spa.logout({ localOnly: true })
    await hold.waitUntilHeld(2)
    expect(await store.get(rp.key)).toBeUndefined()
    hold.release()
    await done
    // Both tokens were revoked, side by side.
    expect(rp.server.control.requests({ endpoint: 'revocation' })).toHaveLength(2)
  })

  it('during a refresh, revokes the refresh token that refresh rotated in, not the spent one', async () => {
    const revoked: string[] = []
    const issued: string[] = []
    const recording: typeof fetch = async (input, init) => {
      const response = await wire.fetch(input, init)
      const url = String(input instanceof Request ? input.url : input)
      if (url.endsWith('/revoke'))
        revoked.push(String(new URLSearchParams(String(init?.body)).get('token')))
      if (url.endsWith('/token')) issued.push((await response.clone().json()).refresh_token)
      return response
    }
    const { spa, navigator, store } = setup({ fetch: recording })
    await signIn(spa, navigator)
    const signedIn = issued.at(-1)
    await makeDue(store, rp.key)
    // The refresh is sent and the provider rotates; its answer waits while the user logs out.
    const hold = rp.server.control.hold({ endpoint: 'token', grantType: 'refresh_token' })
    const refreshing = spa.getAccessToken().catch((error: unknown) => error)
    await hold.waitUntilHeld()
    const loggingOut = spa.logout({ localOnly: true })
    hold.release()
    await Promise.all([refreshing, loggingOut])
    const rotated = issued.at(-1)
    expect(rotated).toBeTypeOf('string')
    expect(rotated).not.toBe(signedIn)
    expect(revoked).toContain(rotated)
    expect(await store.get(rp.key)).toBeUndefined()
  })

  it('a local logout succeeds with the provider down; the failure is an error event', async () => {
    // A first page signs in; the next page load (no discovery yet) logs out while the provider
    // cannot be reached.
    const store = new MemoryStore()
    const first = setup({ store })
    await signIn(first.spa, first.navigator)
    first.spa.close()
    rp.server.control.setFaults({ http: { discovery: { status: 503 } } })
    const { spa } = setup({ store })
    const errors: string[] = []
    spa.on('error', (error) => errors.push(error.code))
    const logouts: string[] = []
    spa.on('logout', ({ source }) => logouts.push(source))
    await drive(spa.logout({ localOnly: true }))
    expect(await store.get(rp.key)).toBeUndefined()
    expect(logouts).toEqual(['this-tab'])
    expect(errors.length).toBeGreaterThanOrEqual(1)
    // A logout that must reach end_session still clears first, then rejects.
    const again = setup({ store })
    await signInWithStore(store)
    await expect(drive(again.spa.logout())).rejects.toMatchObject({ code: expect.any(String) })
    expect(await store.get(rp.key)).toBeUndefined()
  })

  async function signInWithStore(store: MemoryStore): Promise<void> {
    rp.server.control.resetFaults()
    const page = setup({ store })
    await signIn(page.spa, page.navigator)
    page.spa.close()
    rp.server.control.setFaults({ http: { discovery: { status: 503 } } })
  }
})

describe('an unreadable stored session', () => {
  it('counts as signed out (an error event says why), and logout still clears it', async () => {
    const store = new MemoryStore()
    await store.set(rp.key, { not: 'a token set' })
    const { spa } = setup({ store })
    const errors: string[] = []
    spa.on('error', (error) => errors.push(error.code))
    expect(await spa.isAuthenticated()).toBe(false)
    expect(await spa.getUser()).toBeUndefined()
    expect(errors).toContain('STORE_ERROR')
    await expect(spa.getAccessToken()).rejects.toMatchObject({ code: 'STORE_ERROR' })
    await spa.logout({ localOnly: true })
    expect(await store.get(rp.key)).toBeUndefined()
  })
})

describe('tabs', () => {
  it("with a store per tab, another tab's logout deletes this tab's session too", async () => {
    const tabA = setup({ storeScope: 'tab' })
    const tabB = setup({ storeScope: 'tab' })
    await signIn(tabA.spa, tabA.navigator)
    await signIn(tabB.spa, tabB.navigator)
    const logouts: string[] = []
    tabB.spa.on('logout', ({ source }) => logouts.push(source))
    const heard = nextEvent(tabB.spa, 'logout')
    await tabA.spa.logout({ localOnly: true, revoke: false })
    await heard
    await wire.settled()
    expect(await tabB.store.get(rp.key)).toBeUndefined()
    expect(logouts).toEqual(['other-tab'])
    expect(await tabB.spa.isAuthenticated()).toBe(false)
  })

  it("with a store per tab, another tab's expired session leaves this tab's alone", async () => {
    // Each tab signed in on its own (or a copied tab dropped the refresh token it copied): the
    // provider refusing one tab's refresh token says nothing about the other's.
    const tabA = setup({ storeScope: 'tab' })
    const tabB = setup({ storeScope: 'tab' })
    await signIn(tabA.spa, tabA.navigator)
    await signIn(tabB.spa, tabB.navigator)
    const eventsA: string[] = []
    for (const event of ['expired', 'logout'] as const)
      tabA.spa.on(event, ({ source }) => eventsA.push(`${event}:${source}`))
    const ownB = (await tabB.spa.getTokenSet())!.refreshToken!
    const revoked = await fetch(`${rp.server.issuer}/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: ownB, client_id: 'spa' }),
    })
    expect(revoked.status).toBe(200)
    const endedB = nextEvent(tabB.spa, 'expired')
    await expect(drive(tabB.spa.refresh())).rejects.toMatchObject({ code: 'SESSION_EXPIRED' })
    expect((await endedB).source).toBe('this-tab')
    await wire.settled()
    expect(eventsA).toEqual([])
    expect(await tabA.store.get(rp.key)).toBeDefined()
    expect(await tabA.spa.isAuthenticated()).toBe(true)
    const before = (await tabA.spa.getTokenSet())!.refreshToken
    expect((await drive(tabA.spa.refresh())).refreshToken).not.toBe(before)
    expect(eventsA).toEqual([])
  })

  it("with a shared store (the default), another tab's logout leaves a newer session alone", async () => {
    const store = new MemoryStore()
    const tabA = setup({ store })
    const tabB = setup({ store })
    await signIn(tabA.spa, tabA.navigator)
    const logouts: string[] = []
    tabB.spa.on('logout', ({ source }) => logouts.push(source))
    const heard = nextEvent(tabB.spa, 'logout')
    await tabA.spa.logout({ localOnly: true, revoke: false })
    await heard
    expect(logouts).toEqual(['other-tab'])
    // The shared store was cleared by tab A; tab B signs in again and keeps that session.
    await signIn(tabB.spa, tabB.navigator)
    await wire.settled()
    expect(await store.get(rp.key)).toBeDefined()
  })

  it('another tab signing in as someone else is a login here, not a refresh', async () => {
    const store = new MemoryStore()
    const tabA = setup({ store })
    const tabB = setup({ store })
    await signIn(tabA.spa, tabA.navigator)
    const events: string[] = []
    tabA.spa.on('login', ({ source }) => events.push(`login:${source}`))
    tabA.spa.on('refreshed', ({ source }) => events.push(`refreshed:${source}`))
    await tabA.spa.getUser()
    const heard = nextEvent(tabA.spa, 'login')
    await signIn(tabB.spa, tabB.navigator, { prompt: 'login' }, 'bob')
    await heard
    expect(events).toContain('login:other-tab')
    expect((await tabA.spa.getUser())?.sub).toBe((await tabB.spa.getUser())?.sub)
  })
})
