/**
 * Regression: an `onRedirectCallback` that threw (or rejected) left the provider at `loading`
 * for good (after the return from the provider's logout, where no session event follows), and
 * its error went nowhere. The provider now shows the session the callback left (signed in after
 * a login, signed out after a logout) with the app's error as `error`.
 */
import { OpenRpError } from '@openrp/core'
import { createElement } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { AuthProvider } from '../src/index.ts'
import {
  AuthProbe,
  loginAtProvider,
  ORIGIN,
  Rendered,
  referenceServerPerFile,
  until,
} from './harness.ts'

const rp = referenceServerPerFile()

const ALICE = 'a1c3b7e2-5f0d-4c7e-9a51-0a11ce000001'

describe('AuthProvider: an onRedirectCallback that fails', () => {
  it.each([
    [
      'throws',
      (failure: Error) => () => {
        throw failure
      },
    ],
    ['rejects', (failure: Error) => () => Promise.reject(failure)],
  ])('%s after a login: signedIn, with its error, once', async (_, make) => {
    const { client, navigator } = rp.tab()
    await loginAtProvider(client, navigator, { returnTo: '/orders' })
    const failure = new Error('the router refused /orders')
    const onRedirectCallback = vi.fn(make(failure))
    const r = new Rendered()
    await rp.render(
      createElement(
        AuthProvider,
        { client, onRedirectCallback },
        createElement(AuthProbe, { rendered: r }),
      ),
    )
    await until(() => r.last.error !== undefined, 'the callback error')

    expect(r.last.status).toBe('signedIn')
    expect(r.last.user?.sub).toBe(ALICE)
    expect(r.last.error?.code).toBe('OAUTH_ERROR')
    expect(r.last.error?.cause).toBe(failure)
    expect(onRedirectCallback).toHaveBeenCalledTimes(1)
    expect(rp.tokenRequests().map((t) => t.grantType)).toEqual(['authorization_code'])
    await expect(r.last.getAccessToken()).resolves.toBe((await client.getTokenSet())?.accessToken)
  })

  it('throws after the return from the provider logout: signedOut, with its error', async () => {
    const { client, navigator } = rp.tab()
    await loginAtProvider(client, navigator)
    await client.handleRedirectCallback()
    await client.logout({ revoke: false })
    const back = await fetch(navigator.assigned.at(-1)!, { redirect: 'manual' })
    navigator.url = back.headers.get('location')!
    expect(client.isRedirectCallback()).toBe(true)
    const failure = new Error('no route for /')
    const r = new Rendered()
    await rp.render(
      createElement(
        AuthProvider,
        {
          client,
          onRedirectCallback: () => {
            throw failure
          },
        },
        createElement(AuthProbe, { rendered: r }),
      ),
    )
    await until(() => r.last.status !== 'loading', 'a settled status')

    expect(r.last.status).toBe('signedOut')
    expect(r.last.error?.code).toBe('OAUTH_ERROR')
    expect(r.last.error?.cause).toBe(failure)
    expect(navigator.url).toBe(`${ORIGIN}/`)
  })

  it('keeps an OpenRpError the callback threw as it is', async () => {
    const { client, navigator } = rp.tab()
    await loginAtProvider(client, navigator)
    const failure = new OpenRpError('NETWORK_ERROR', 'the profile request failed')
    const r = new Rendered()
    await rp.render(
      createElement(
        AuthProvider,
        {
          client,
          onRedirectCallback: async () => {
            throw failure
          },
        },
        createElement(AuthProbe, { rendered: r }),
      ),
    )
    await until(() => r.last.error !== undefined, 'the callback error')
    expect(r.last.status).toBe('signedIn')
    expect(r.last.error).toBe(failure)
  })
})
