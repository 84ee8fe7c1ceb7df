/**
 * `<AuthProvider>` under React 19.2's `<Activity>`, which unmounts effects while hidden and mounts
 * them again when shown. React 18 has no `<Activity>`: the React 18 run leaves this file out
 * (internal/react18/vitest.config.ts).
 */
import { InProcessLock, MemoryStore, type TokenSetJSON } from '@openrp/core'
import { Activity, act, createElement, type ReactNode, StrictMode } from 'react'
import { describe, expect, it } from 'vitest'
import { AuthProvider } from '../src/index.ts'
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

/** `<Activity>`, whose props type wants `children` as a prop rather than after the props. */
const Shown = Activity as (props: { mode: 'visible' | 'hidden'; children?: ReactNode }) => ReactNode

describe('AuthProvider: a client made from options', () => {
  it('still follows other tabs after being hidden and shown again by <Activity> (effects unmounted meanwhile)', async () => {
    const store = new MemoryStore()
    const lock = new InProcessLock()
    const other = rp.tab({ store, lock })
    const options = {
      issuer: rp.server.issuer,
      clientId: 'spa',
      redirectUri: `${ORIGIN}/`,
      store,
      lock,
      navigator: new ScriptedNavigator(),
      autoRefresh: false,
    }
    const r = new Rendered()
    // rp.render() puts the element in StrictMode: so do the updates, or React would remount.
    const app = (mode: 'visible' | 'hidden') =>
      createElement(
        Shown,
        { mode },
        createElement(AuthProvider, { options }, createElement(AuthProbe, { rendered: r })),
      )
    const renderer = await rp.render(app('visible'))
    await until(() => r.last.status === 'signedOut', 'signedOut')
    const seen = r.seen.length
    await act(async () => renderer.update(createElement(StrictMode, null, app('hidden'))))
    await settle()
    await act(async () => renderer.update(createElement(StrictMode, null, app('visible'))))
    await settle()

    await loginAtProvider(other.client, other.navigator)
    await act(() => other.client.handleRedirectCallback())
    await until(() => r.last.status === 'signedIn', 'signedIn from the other tab')
    // The same provider (its state kept, never loading again), not a new mount.
    expect(r.statuses().slice(seen)).not.toContain('loading')
    await expect(r.last.getAccessToken()).resolves.toBe(
      (await store.get<TokenSetJSON>(rp.key))?.accessToken,
    )
  })
})
