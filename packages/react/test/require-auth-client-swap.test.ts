/**
 * Regression: the provider's one-at-a-time automatic login (RequireAuth's) was one per provider,
 * not per client: after the app passed another `client`, a RequireAuth mounted for it was handed
 * the previous client's login still under way, so the new client never sent the browser to its
 * provider (and a failure of the old login would have been shown as its own).
 */
import type { SpaClient } from '@openrp/browser'
import { act, createElement, StrictMode } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { AuthProvider, RequireAuth } from '../src/index.ts'
import { referenceServerPerFile, settle, until } from './harness.ts'

const rp = referenceServerPerFile()

/** A RequireAuth mounted per client (keyed by `name`), as an app keyed by tenant would. */
const app = (client: SpaClient, name: string) =>
  createElement(
    AuthProvider,
    { client },
    createElement(RequireAuth, { key: name }, createElement('p', null, 'secret')),
  )

describe('RequireAuth after the provider is given another client', () => {
  it("starts the new client's login while the previous client's is still under way", async () => {
    const first = rp.tab()
    // The first client's login never gets as far as the redirect (e.g. a slow discovery).
    const firstLogin = vi
      .spyOn(first.client, 'loginWithRedirect')
      .mockReturnValue(new Promise<void>(() => {}))
    const other = rp.tab({ storageKey: 'openrp:other-app' })
    const otherLogin = vi.spyOn(other.client, 'loginWithRedirect')
    const renderer = await rp.render(app(first.client, 'first'))
    await until(() => firstLogin.mock.calls.length > 0, "the first client's login")

    await act(async () =>
      renderer.update(createElement(StrictMode, null, app(other.client, 'other'))),
    )
    await until(() => other.navigator.assigned.length > 0, "the other client's redirect")
    await settle()

    expect(firstLogin).toHaveBeenCalledTimes(1)
    expect(otherLogin).toHaveBeenCalledTimes(1)
    expect(other.navigator.assigned).toHaveLength(1)
    expect(new URL(other.navigator.assigned[0]!).pathname).toBe('/authorize')
    expect(first.navigator.assigned).toEqual([])
  })
})
