/**
 * `<AuthProvider>` and `useAuth()` against the real reference server, rendered by React's test
 * renderer in StrictMode (effects mounted, unmounted and mounted again, as in development).
 */
import { createSpaClient } from '@openrp/browser'
import { completeLogin } from '@openrp/reference-server'
import { InProcessLock, MemoryStore, type TokenSetJSON } from '@openrp/core'
import { act, createElement, type ReactNode } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { AuthProvider, useAccessToken, useAuth } from '../src/index.ts'
import {
  loginAtProvider,
  ORIGIN,
  AuthProbe,
  Rendered,
  revokeAtProvider,
  ScriptedNavigator,
  until,
  referenceServerPerFile,
} from './harness.ts'

const rp = referenceServerPerFile()

/** Records every user and access token rendered together. */
function UserTokenProbe({ seen }: { seen: [string | undefined, string | undefined][] }): ReactNode {
  const { user } = useAuth()
  seen.push([user?.sub, useAccessToken().accessToken])
  return null
}

/** Records every access token `useAccessToken()` rendered. */
function TokenProbe({ tokens }: { tokens: (string | undefined)[] }): ReactNode {
  tokens.push(useAccessToken().accessToken)
  return null
}

describe('AuthProvider: the redirect callback', () => {
  it('finishes a callback once under StrictMode: one token request, one onRedirectCallback, never signedOut', async () => {
    const { client, navigator } = rp.tab()
    await loginAtProvider(client, navigator, { returnTo: '/orders?tab=2' })
    const onRedirectCallback = vi.fn()
    const r = new Rendered()
    await rp.render(
      createElement(
        AuthProvider,
        { client, onRedirectCallback },
        createElement(AuthProbe, { rendered: r }),
      ),
    )
    await until(() => r.last.status === 'signedIn', 'signedIn')

    expect(r.statuses().filter((s) => s !== 'loading' && s !== 'signedIn')).toEqual([])
    expect(r.last.user?.sub).toBe('a1c3b7e2-5f0d-4c7e-9a51-0a11ce000001')
    expect(onRedirectCallback).toHaveBeenCalledTimes(1)
    expect(onRedirectCallback.mock.calls[0]![0]).toBe('/orders?tab=2')
    expect(rp.tokenRequests().map((t) => t.grantType)).toEqual(['authorization_code'])
    // The response left the address bar before anything else.
    expect(navigator.url).toBe(`${ORIGIN}/`)
  })

  it('finishes it once when the provider makes its own client from options (a new one per StrictMode mount)', async () => {
    const store = new MemoryStore()
    const lock = new InProcessLock()
    const { client, navigator } = rp.tab({ store, lock })
    await loginAtProvider(client, navigator)
    const options = {
      issuer: rp.server.issuer,
      clientId: 'spa',
      redirectUri: `${ORIGIN}/`,
      store,
      lock,
      navigator,
      autoRefresh: false,
    }
    const made = vi.fn()
    const r = new Rendered()
    await rp.render(
      createElement(
        AuthProvider,
        { options, onRedirectCallback: made },
        createElement(AuthProbe, { rendered: r }),
      ),
    )
    await until(() => r.last.status === 'signedIn', 'signedIn')
    expect(r.statuses()).not.toContain('signedOut')
    expect(made).toHaveBeenCalledTimes(1)
    expect(rp.tokenRequests()).toHaveLength(1)
  })

  it('shows a refused callback as status "error" with its typed code, and stores nothing', async () => {
    const { client, navigator } = rp.tab()
    await client.loginWithRedirect()
    navigator.url = `${ORIGIN}/?code=forged&state=not-ours`
    const r = new Rendered()
    await rp.render(
      createElement(AuthProvider, { client }, createElement(AuthProbe, { rendered: r })),
    )
    await until(() => r.last.status !== 'loading', 'a settled status')

    expect(r.last.status).toBe('error')
    expect(r.last.error?.code).toBe('STATE_MISMATCH')
    expect(await client.getTokenSet()).toBeUndefined()
    expect(rp.tokenRequests()).toEqual([])
  })

  it('ignores a stale response (back button to the provider after a login) while signed in', async () => {
    const { client, navigator } = rp.tab()
    const callbackUrl = await loginAtProvider(client, navigator)
    await client.handleRedirectCallback()
    rp.server.control.clearRequests()
    // The provider answers the old request again: same state, already used.
    navigator.url = callbackUrl
    const r = new Rendered()
    await rp.render(
      createElement(AuthProvider, { client }, createElement(AuthProbe, { rendered: r })),
    )
    await until(() => r.last.status !== 'loading', 'a settled status')

    expect(r.last.status).toBe('signedIn')
    expect(r.last.error).toBeUndefined()
    expect(rp.tokenRequests()).toEqual([])
    expect(navigator.url).toBe(`${ORIGIN}/`)
  })

  it('shows the same stale response as STATE_MISMATCH when nobody is signed in', async () => {
    const { client, navigator } = rp.tab()
    const callbackUrl = await loginAtProvider(client, navigator)
    await client.handleRedirectCallback()
    await client.logout({ localOnly: true, revoke: false })
    navigator.url = callbackUrl
    const r = new Rendered()
    await rp.render(
      createElement(AuthProvider, { client }, createElement(AuthProbe, { rendered: r })),
    )
    await until(() => r.last.status !== 'loading', 'a settled status')
    expect(r.last.status).toBe('error')
    expect(r.last.error?.code).toBe('STATE_MISMATCH')
  })
})

describe('AuthProvider: session events', () => {
  it('follows login and logout made in another tab (shared store, BroadcastChannel)', async () => {
    const store = new MemoryStore()
    const lock = new InProcessLock()
    const tabA = rp.tab({ store, lock })
    const tabB = rp.tab({ store, lock })
    const r = new Rendered()
    await rp.render(
      createElement(
        AuthProvider,
        { client: tabB.client },
        createElement(AuthProbe, { rendered: r }),
      ),
    )
    await until(() => r.last.status === 'signedOut', 'signedOut')

    await loginAtProvider(tabA.client, tabA.navigator)
    await act(() => tabA.client.handleRedirectCallback())
    await until(() => r.last.status === 'signedIn', 'signedIn from the other tab')
    expect(r.last.user?.sub).toBe('a1c3b7e2-5f0d-4c7e-9a51-0a11ce000001')

    await act(() => tabA.client.logout({ localOnly: true, revoke: false }))
    await until(() => r.last.status === 'signedOut', 'signedOut from the other tab')
  })

  it('ends in signedOut with the typed reason when the provider refuses the refresh token', async () => {
    const { client, navigator } = rp.tab()
    await loginAtProvider(client, navigator)
    const r = new Rendered()
    await rp.render(
      createElement(AuthProvider, { client }, createElement(AuthProbe, { rendered: r })),
    )
    await until(() => r.last.status === 'signedIn', 'signedIn')
    await revokeAtProvider(rp.server.issuer, (await client.getTokenSet())!.refreshToken!)

    await act(() => expect(client.refresh()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' }))
    await until(() => r.last.status === 'signedOut', 'signedOut')
    expect(r.last.error?.code).toBe('SESSION_EXPIRED')
    expect(await client.getTokenSet()).toBeUndefined()
  })

  it('counts a stored session that can no longer be used (expired, no refresh token) as signedOut', async () => {
    const store = new MemoryStore()
    const { client, navigator } = rp.tab({ store })
    await loginAtProvider(client, navigator)
    await client.handleRedirectCallback()
    const json = (await store.get(rp.key)) as TokenSetJSON
    const now = Math.floor(Date.now() / 1000)
    await store.set(rp.key, { ...json, refreshToken: undefined, expiresAt: now - 10 })
    const r = new Rendered()
    await rp.render(
      createElement(AuthProvider, { client }, createElement(AuthProbe, { rendered: r })),
    )
    await until(() => r.last.status !== 'loading', 'a settled status')
    expect(r.last.status).toBe('signedOut')
    expect(r.last.user).toBeUndefined()
  })

  it('counts a session without an ID token (OAuth 2.0 scope, no openid) as signedIn, with no user', async () => {
    const { client, navigator } = rp.tab({ scope: 'api:read offline_access' })
    await loginAtProvider(client, navigator)
    const r = new Rendered()
    await rp.render(
      createElement(AuthProvider, { client }, createElement(AuthProbe, { rendered: r })),
    )
    await until(() => r.last.status !== 'loading', 'a settled status')
    expect((await client.getTokenSet())?.idToken).toBeUndefined()
    expect(r.last.status).toBe('signedIn')
    expect(r.last.user).toBeUndefined()
    await expect(r.last.getAccessToken()).resolves.toBe((await client.getTokenSet())?.accessToken)
  })

  it('useAccessToken() gives the current token and the new one after a refresh', async () => {
    const { client, navigator } = rp.tab()
    await loginAtProvider(client, navigator)
    const tokens: (string | undefined)[] = []
    await rp.render(createElement(AuthProvider, { client }, createElement(TokenProbe, { tokens })))
    await until(() => tokens.at(-1) !== undefined, 'a token')
    const first = tokens.at(-1)
    expect(first).toBe((await client.getTokenSet())?.accessToken)

    const renewed = await act(() => client.refresh())
    await until(() => tokens.at(-1) === renewed.accessToken, 'the renewed token')
    expect(renewed.accessToken).not.toBe(first)
  })

  it("useAccessToken() never gives the previous session's token after a logout and a new login", async () => {
    const { client, navigator } = rp.tab()
    await loginAtProvider(client, navigator)
    const tokens: (string | undefined)[] = []
    await rp.render(createElement(AuthProvider, { client }, createElement(TokenProbe, { tokens })))
    await until(() => tokens.at(-1) !== undefined, 'a token')
    const first = tokens.at(-1)

    await act(() => client.logout({ localOnly: true }))
    await until(() => tokens.at(-1) === undefined, 'no token once signed out')
    const afterLogout = tokens.length
    await loginAtProvider(client, navigator)
    await act(() => client.handleRedirectCallback())
    const second = (await client.getTokenSet())?.accessToken
    await until(() => tokens.at(-1) === second, 'the new session token')
    expect(tokens.slice(afterLogout)).not.toContain(first)
  })

  it("useAccessToken() never gives one user's token beside another user signed in elsewhere", async () => {
    const store = new MemoryStore()
    const lock = new InProcessLock()
    const here = rp.tab({ store, lock })
    const other = rp.tab({ store, lock })
    await loginAtProvider(here.client, here.navigator)
    await here.client.handleRedirectCallback()
    const seen: [string | undefined, string | undefined][] = []
    await rp.render(
      createElement(AuthProvider, { client: here.client }, createElement(UserTokenProbe, { seen })),
    )
    await until(() => seen.at(-1)?.[1] !== undefined, 'a token')
    const [alice, aliceToken] = seen.at(-1)!

    // Bob signs in in another tab: this tab follows, and never shows Alice's token as Bob's.
    await other.client.loginWithRedirect()
    const done = await completeLogin(other.navigator.assigned.at(-1)!, {
      username: 'bob',
      password: 'builder',
    })
    other.navigator.url = done.url.toString()
    await act(() => other.client.handleRedirectCallback())
    const bobToken = (await store.get<TokenSetJSON>(rp.key))?.accessToken
    await until(() => seen.at(-1)?.[1] === bobToken, "Bob's token")
    const bob = seen.at(-1)![0]
    expect(bob).not.toBe(alice)
    expect(seen.filter(([sub]) => sub === bob).map(([, token]) => token)).not.toContain(aliceToken)
  })
})

describe('AuthProvider: options it cannot use', () => {
  it('shows status "error" with INVALID_ARGUMENT instead of throwing while rendering', async () => {
    const r = new Rendered()
    const options = {
      clientId: 'spa',
      redirectUri: `${ORIGIN}/`,
      navigator: new ScriptedNavigator(),
    }
    await rp.render(
      createElement(AuthProvider, { options }, createElement(AuthProbe, { rendered: r })),
    )
    await until(() => r.last.status !== 'loading', 'a settled status')
    expect(r.last.status).toBe('error')
    expect(r.last.error?.code).toBe('INVALID_ARGUMENT')
    await expect(r.last.getAccessToken()).rejects.toMatchObject({ code: 'UNSUPPORTED' })
    // createSpaClient is what refused: the same options fail the same way outside React.
    expect(() => createSpaClient(options)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })
})
