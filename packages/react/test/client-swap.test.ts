/**
 * Regression: an `AuthProvider` given another `client` (no remount) rendered the previous
 * client's state (status, user, and through `useAccessToken()` its access token) beside the new
 * client's actions until the new client's session was read. The state now belongs to the client
 * passed in the same render: `loading` until that client's session is read. The old client's
 * events no longer reach the provider.
 */
import type { SpaClient } from '@openrp/browser'
import { OpenRpError } from '@openrp/core'
import { act, createElement, type ReactNode, StrictMode, useLayoutEffect, useRef } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { AuthProvider, useAccessToken, useAuth } from '../src/index.ts'
import { loginAtProvider, referenceServerPerFile, settle, until } from './harness.ts'

const rp = referenceServerPerFile()

const ALICE = 'a1c3b7e2-5f0d-4c7e-9a51-0a11ce000001'

/** What one render showed, with the client the provider was given in that render. */
interface Seen {
  client: SpaClient
  status: string
  error: string | undefined
  sub: string | undefined
  accessToken: string | undefined
}

function Probe({ client, seen }: { client: SpaClient; seen: Seen[] }): ReactNode {
  const { status, user, error } = useAuth()
  const { accessToken } = useAccessToken()
  seen.push({ client, status, error: error?.code, sub: user?.sub, accessToken })
  return null
}

const app = (client: SpaClient, seen: Seen[]) =>
  createElement(AuthProvider, { client }, createElement(Probe, { client, seen }))

interface Subscription {
  event: string
  listener: (payload: unknown) => void
}

/** The listeners `client.on()` added that are not removed yet. */
function liveListeners(client: SpaClient): Map<object, Subscription> {
  const live = new Map<object, Subscription>()
  const on = client.on.bind(client)
  vi.spyOn(client, 'on').mockImplementation((event, listener) => {
    const off = on(event, listener)
    const subscription = {}
    live.set(subscription, { event, listener: listener as Subscription['listener'] })
    return () => {
      live.delete(subscription)
      off()
    }
  })
  return live
}

/** Runs `run` once, when first committed (layout effects run before the passive ones). */
function OnCommit({ run }: { run: () => void }): ReactNode {
  const done = useRef(false)
  useLayoutEffect(() => {
    if (!done.current) run()
    done.current = true
  }, [run])
  return null
}

async function signedInTab(storageKey?: string) {
  const tab = rp.tab({ storageKey })
  await loginAtProvider(tab.client, tab.navigator)
  await tab.client.handleRedirectCallback()
  return tab
}

describe('AuthProvider: another client passed without a remount', () => {
  it("never renders the previous client's user or token with the new client", async () => {
    const alice = await signedInTab()
    const aliceToken = (await alice.client.getTokenSet())?.accessToken
    const other = rp.tab({ storageKey: 'openrp:other-app' })
    const seen: Seen[] = []
    const renderer = await rp.render(app(alice.client, seen))
    await until(() => seen.at(-1)?.accessToken === aliceToken, "Alice's token")

    await act(async () => renderer.update(createElement(StrictMode, null, app(other.client, seen))))
    await until(() => seen.at(-1)?.status === 'signedOut', 'the other client signed out')

    const withOther = seen.filter((s) => s.client === other.client)
    expect(withOther[0]?.status).toBe('loading')
    expect(withOther.filter((s) => s.status === 'signedIn' || s.sub || s.accessToken)).toEqual([])
  })

  it("is loading with the new client until its session is read, then shows that client's user", async () => {
    const other = rp.tab({ storageKey: 'openrp:other-app' })
    const alice = await signedInTab()
    const seen: Seen[] = []
    const renderer = await rp.render(app(other.client, seen))
    await until(() => seen.at(-1)?.status === 'signedOut', 'signedOut')

    await act(async () => renderer.update(createElement(StrictMode, null, app(alice.client, seen))))
    await until(() => seen.at(-1)?.accessToken !== undefined, "Alice's token")

    const withAlice = seen.filter((s) => s.client === alice.client)
    expect(withAlice[0]?.status).toBe('loading')
    expect(withAlice.map((s) => s.status)).not.toContain('signedOut')
    expect(seen.at(-1)).toMatchObject({
      status: 'signedIn',
      sub: ALICE,
      accessToken: (await alice.client.getTokenSet())?.accessToken,
    })
  })

  it('stops listening to the previous client: its logout and login no longer change the state', async () => {
    const alice = await signedInTab()
    const live = liveListeners(alice.client)
    const other = rp.tab({ storageKey: 'openrp:other-app' })
    const seen: Seen[] = []
    const renderer = await rp.render(app(alice.client, seen))
    await until(() => seen.at(-1)?.status === 'signedIn', 'signedIn')
    expect(live.size).toBeGreaterThan(0)

    await act(async () => renderer.update(createElement(StrictMode, null, app(other.client, seen))))
    await until(() => seen.at(-1)?.status === 'signedOut', 'the other client signed out')
    expect(live.size).toBe(0)

    const before = seen.length
    await act(() => alice.client.logout({ localOnly: true, revoke: false }))
    await loginAtProvider(alice.client, alice.navigator)
    await act(() => alice.client.handleRedirectCallback())
    await act(() => alice.client.refresh())
    await settle()
    expect(seen.slice(before).map((s) => s.status)).not.toContain('signedIn')
    expect(seen.at(-1)).toMatchObject({ client: other.client, status: 'signedOut' })
  })

  it('drops an event the previous client sent before its subscription was removed', async () => {
    const alice = await signedInTab()
    const live = liveListeners(alice.client)
    const aliceToken = (await alice.client.getTokenSet())?.accessToken
    // The same user in another session (another app's storage key): another token.
    const other = await signedInTab('openrp:other-app')
    const seen: Seen[] = []
    const renderer = await rp.render(app(alice.client, seen))
    await until(() => seen.at(-1)?.accessToken === aliceToken, "the first client's token")

    // The first client's session expires in the commit that passes the other one: after the
    // provider rendered with it, before the effects that unsubscribe from the first have run.
    const stillSubscribed: boolean[] = []
    const expire = () => {
      const expired = [...live.values()].filter((l) => l.event === 'expired')
      stillSubscribed.push(expired.length > 0)
      for (const { listener } of expired)
        listener({ error: new OpenRpError('SESSION_EXPIRED', 'refused'), source: 'this-tab' })
    }
    const swapped = createElement(
      AuthProvider,
      { client: other.client },
      createElement(Probe, { client: other.client, seen }),
      createElement(OnCommit, { run: expire }),
    )
    await act(async () => renderer.update(createElement(StrictMode, null, swapped)))
    await until(() => seen.at(-1)?.accessToken !== undefined, "the other client's token")
    await settle()

    expect(stillSubscribed).toEqual([true])
    expect(live.size).toBe(0)
    const withOther = seen.filter((s) => s.client === other.client)
    expect(withOther[0]?.status).toBe('loading')
    expect(withOther.filter((s) => s.status === 'signedOut' || s.error)).toEqual([])
    expect(withOther.filter((s) => s.accessToken === aliceToken)).toEqual([])
    expect(seen.at(-1)).toMatchObject({
      status: 'signedIn',
      error: undefined,
      accessToken: (await other.client.getTokenSet())?.accessToken,
    })
  })
})
