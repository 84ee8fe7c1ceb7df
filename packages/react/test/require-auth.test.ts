/**
 * `<RequireAuth>` cannot loop: at most one automatic redirect per mount (StrictMode's double
 * effects and re-renders included), none while the status is `error`, none when the session
 * ends while the content is shown, and a redirect that cannot start shows its typed error.
 */
import type { SpaClient } from '@openrp/browser'
import { InProcessLock, MemoryStore, OpenRpError } from '@openrp/core'
import { createElement, useState } from 'react'
import { act } from 'react'
import { describe, expect, it, vi } from 'vitest'
import {
  AuthProvider,
  RequireAuth,
  type RequireAuthErrorProps,
  withAuthenticationRequired,
} from '../src/index.ts'
import {
  loginAtProvider,
  ORIGIN,
  revokeAtProvider,
  ScriptedNavigator,
  settle,
  until,
  referenceServerPerFile,
} from './harness.ts'

const rp = referenceServerPerFile()

const errorFallback = ({ status, error }: RequireAuthErrorProps) =>
  createElement('p', { role: 'alert', 'data-status': status }, error?.code ?? 'signed out')

/** A provider around a RequireAuth whose fallback shows how often the app re-rendered. */
function App({ client, rerender }: { client: SpaClient; rerender: { current?: () => void } }) {
  const [n, setN] = useState(0)
  rerender.current = () => setN((x) => x + 1)
  return createElement(
    AuthProvider,
    { client },
    createElement(
      RequireAuth,
      { fallback: createElement('p', null, `signing in ${n}`), errorFallback },
      createElement('p', null, 'secret'),
    ),
  )
}

function Secret() {
  return createElement('p', null, 'secret')
}

function texts(renderer: Awaited<ReturnType<typeof rp.render>>): string {
  return JSON.stringify(renderer.toJSON())
}

describe('RequireAuth', () => {
  it('starts exactly one redirect when opened signed out, whatever StrictMode and re-renders do', async () => {
    const { client, navigator } = rp.tab()
    const login = vi.spyOn(client, 'loginWithRedirect')
    const rerender: { current?: () => void } = {}
    const renderer = await rp.render(createElement(App, { client, rerender }))
    await until(() => navigator.assigned.length > 0, 'the redirect')
    for (let i = 0; i < 5; i++) await act(async () => rerender.current?.())
    await settle()

    expect(login).toHaveBeenCalledTimes(1)
    expect(navigator.assigned).toHaveLength(1)
    expect(new URL(navigator.assigned[0]!).pathname).toBe('/authorize')
    expect(texts(renderer)).toContain('signing in 5')
    expect(texts(renderer)).not.toContain('secret')
  })

  it('shows a refused callback as an error, with no redirect at all', async () => {
    const { client, navigator } = rp.tab()
    await client.loginWithRedirect()
    navigator.assigned.length = 0
    navigator.url = `${ORIGIN}/?code=forged&state=not-ours`
    const renderer = await rp.render(
      createElement(
        AuthProvider,
        { client },
        createElement(RequireAuth, { errorFallback }, createElement('p', null, 'secret')),
      ),
    )
    await until(() => texts(renderer).includes('alert'), 'the error screen')
    await settle()
    expect(texts(renderer)).toContain('STATE_MISMATCH')
    expect(navigator.assigned).toEqual([])
  })

  it('shows the typed error when the redirect cannot start, and does not try again by itself', async () => {
    const { client, navigator } = rp.tab()
    const login = vi
      .spyOn(client, 'loginWithRedirect')
      .mockRejectedValue(new OpenRpError('NETWORK_ERROR', 'provider down'))
    const renderer = await rp.render(
      createElement(
        AuthProvider,
        { client },
        createElement(RequireAuth, { errorFallback }, createElement('p', null, 'secret')),
      ),
    )
    await until(() => texts(renderer).includes('alert'), 'the error screen')
    await settle()
    expect(login).toHaveBeenCalledTimes(1)
    expect(navigator.assigned).toEqual([])
    expect(texts(renderer)).toContain('"data-status":"signedOut"')
    expect(texts(renderer)).toContain('NETWORK_ERROR')
  })

  it('forgets a failed redirect once signed in: a later logout shows no stale error', async () => {
    const store = new MemoryStore()
    const lock = new InProcessLock()
    const { client } = rp.tab({ store, lock })
    const other = rp.tab({ store, lock })
    vi.spyOn(client, 'loginWithRedirect').mockRejectedValue(
      new OpenRpError('NETWORK_ERROR', 'provider down'),
    )
    const renderer = await rp.render(
      createElement(
        AuthProvider,
        { client },
        createElement(RequireAuth, { errorFallback }, createElement('p', null, 'secret')),
      ),
    )
    await until(() => texts(renderer).includes('NETWORK_ERROR'), 'the error screen')

    // Signed in meanwhile in another tab, then signed out there.
    await loginAtProvider(other.client, other.navigator)
    await act(() => other.client.handleRedirectCallback())
    await until(() => texts(renderer).includes('secret'), 'the content')
    await act(() => other.client.logout({ localOnly: true, revoke: false }))
    await until(() => texts(renderer).includes('alert'), 'the error screen')
    expect(texts(renderer)).toContain('signed out')
    expect(texts(renderer)).not.toContain('NETWORK_ERROR')
  })

  it('shows the error screen, not a redirect, when the session ends while the content is shown', async () => {
    const { client, navigator } = rp.tab()
    await loginAtProvider(client, navigator)
    await client.handleRedirectCallback()
    navigator.assigned.length = 0
    const Protected = withAuthenticationRequired(Secret, {
      errorFallback,
    })
    const renderer = await rp.render(
      createElement(AuthProvider, { client }, createElement(Protected)),
    )
    await until(() => texts(renderer).includes('secret'), 'the content')

    await revokeAtProvider(rp.server.issuer, (await client.getTokenSet())!.refreshToken!)
    await act(() => expect(client.refresh()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' }))
    await until(() => texts(renderer).includes('alert'), 'the error screen')
    await settle()
    expect(texts(renderer)).toContain('SESSION_EXPIRED')
    expect(navigator.assigned).toEqual([])
  })

  it('shows the content after a login without an ID token (scope without openid), no second redirect', async () => {
    const { client, navigator } = rp.tab({ scope: 'api:read' })
    await loginAtProvider(client, navigator)
    navigator.assigned.length = 0
    const renderer = await rp.render(
      createElement(
        AuthProvider,
        { client },
        createElement(RequireAuth, { errorFallback }, createElement('p', null, 'secret')),
      ),
    )
    await until(
      () => texts(renderer).includes('secret') || navigator.assigned.length > 0,
      'the content or a redirect',
    )
    await settle()
    expect(texts(renderer)).toContain('secret')
    expect(navigator.assigned).toEqual([])
  })

  it('retry() starts a login when the user asks, once per click', async () => {
    const { client, navigator } = rp.tab()
    await client.loginWithRedirect()
    navigator.assigned.length = 0
    navigator.url = `${ORIGIN}/?code=forged&state=not-ours`
    let retry: (() => void) | undefined
    await rp.render(
      createElement(
        AuthProvider,
        { client },
        createElement(
          RequireAuth,
          {
            errorFallback: (props: RequireAuthErrorProps) => {
              retry = props.retry
              return null
            },
          },
          createElement('p', null, 'secret'),
        ),
      ),
    )
    await until(() => retry !== undefined, 'the error screen')
    await settle()
    expect(navigator.assigned).toEqual([])
    await act(async () => retry!())
    await until(() => navigator.assigned.length === 1, 'the redirect')
    await settle()
    expect(navigator.assigned).toHaveLength(1)
  })

  it('retry() shows the typed error when there is no client to log in with, not the fallback for good', async () => {
    let retry: (() => void) | undefined
    // Options createSpaClient refuses (no issuer): the provider has no client.
    const options = {
      clientId: 'spa',
      redirectUri: `${ORIGIN}/`,
      navigator: new ScriptedNavigator(),
    }
    const renderer = await rp.render(
      createElement(
        AuthProvider,
        { options },
        createElement(
          RequireAuth,
          {
            fallback: createElement('p', null, 'signing in'),
            errorFallback: (props: RequireAuthErrorProps) => {
              retry = props.retry
              return errorFallback(props)
            },
          },
          createElement('p', null, 'secret'),
        ),
      ),
    )
    await until(() => texts(renderer).includes('INVALID_ARGUMENT'), 'the error screen')
    await act(async () => retry!())
    await settle()
    expect(texts(renderer)).not.toContain('signing in')
    expect(texts(renderer)).toContain('UNSUPPORTED')
  })
})
