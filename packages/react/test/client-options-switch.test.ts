/**
 * Regression: an `AuthProvider` given a `client` and then `options` (or the other way round)
 * without a remount. From `client` to `options` it made no client (it made one only at the
 * first render), so it stayed `loading` for good and its actions failed with `UNSUPPORTED`;
 * from `options` to `client` the new client's effect cancelled the timer that closes the client
 * the provider had made, which was then never closed (its timers and cross-tab listening
 * leaked). A switch now starts over at `loading` with the new client, and a client the provider
 * made is closed when it is no longer used.
 */
import { InProcessLock, MemoryStore, type TokenSetJSON } from '@openrp/core'
import { act, createElement, StrictMode } from 'react'
import { describe, expect, it } from 'vitest'
import { AuthProvider, type AuthProviderProps } from '../src/index.ts'
import {
  AuthProbe,
  loginAtProvider,
  ORIGIN,
  Rendered,
  referenceServerPerFile,
  ScriptedNavigator,
  settle,
  until,
} from './harness.ts'

const rp = referenceServerPerFile()

/** A signed-in tab and the options of a client on its store (the same session). */
async function signedInSession() {
  const store = new MemoryStore()
  const lock = new InProcessLock()
  const tab = rp.tab({ store, lock })
  await loginAtProvider(tab.client, tab.navigator)
  await tab.client.handleRedirectCallback()
  const options = {
    issuer: rp.server.issuer,
    clientId: 'spa',
    redirectUri: `${ORIGIN}/`,
    store,
    lock,
    navigator: new ScriptedNavigator(),
    autoRefresh: false,
  }
  return { tab, options, store }
}

const app = (props: AuthProviderProps, r: Rendered) =>
  createElement(AuthProvider, props, createElement(AuthProbe, { rendered: r }))

describe('AuthProvider: switched between a client and options without a remount', () => {
  it('from a client to options: makes a client from the options, loading until its session is read', async () => {
    const other = rp.tab({ storageKey: 'openrp:other-app' })
    const { options, store } = await signedInSession()
    const r = new Rendered()
    const renderer = await rp.render(app({ client: other.client }, r))
    await until(() => r.last.status === 'signedOut', 'signedOut with the client passed in')
    const before = r.seen.length

    await act(async () => renderer.update(createElement(StrictMode, null, app({ options }, r))))
    await until(() => r.last.status !== 'loading', 'a settled status with the options')

    expect(r.seen[before]?.status).toBe('loading')
    expect(r.last.status).toBe('signedIn')
    await expect(r.last.getAccessToken()).resolves.toBe(
      (await store.get<TokenSetJSON>(rp.key))?.accessToken,
    )
  })

  it('from options to a client: closes the client it made and follows the one passed in', async () => {
    const { options } = await signedInSession()
    const other = rp.tab({ storageKey: 'openrp:other-app' })
    const r = new Rendered()
    const renderer = await rp.render(app({ options }, r))
    await until(() => r.last.status === 'signedIn', 'signedIn with the client made from options')
    const made = r.last
    const before = r.seen.length

    await act(async () =>
      renderer.update(createElement(StrictMode, null, app({ client: other.client }, r))),
    )
    await until(() => r.last.status === 'signedOut', 'signedOut with the client passed in')
    await settle()

    expect(r.seen[before]?.status).toBe('loading')
    // A closed SpaClient opens no popup: ABORTED (an open one here would be POPUP_BLOCKED).
    await expect(made.loginWithPopup()).rejects.toMatchObject({ code: 'ABORTED' })
    // The client passed in is the app's: left open.
    await expect(r.last.loginWithPopup()).rejects.toMatchObject({ code: 'POPUP_BLOCKED' })
  })

  it('from options to a client and back: makes a new client (the first one is closed)', async () => {
    const { options, store } = await signedInSession()
    const other = rp.tab({ storageKey: 'openrp:other-app' })
    const r = new Rendered()
    const renderer = await rp.render(app({ options }, r))
    await until(() => r.last.status === 'signedIn', 'signedIn with the client made from options')
    const first = r.last
    await act(async () =>
      renderer.update(createElement(StrictMode, null, app({ client: other.client }, r))),
    )
    await until(() => r.last.status === 'signedOut', 'signedOut with the client passed in')
    await settle()

    await act(async () => renderer.update(createElement(StrictMode, null, app({ options }, r))))
    await until(() => r.last.status === 'signedIn', 'signedIn with options again')

    await expect(first.loginWithPopup()).rejects.toMatchObject({ code: 'ABORTED' })
    await expect(r.last.getAccessToken()).resolves.toBe(
      (await store.get<TokenSetJSON>(rp.key))?.accessToken,
    )
    // Another client, open.
    await expect(r.last.loginWithPopup()).rejects.toMatchObject({ code: 'POPUP_BLOCKED' })
  })
})
