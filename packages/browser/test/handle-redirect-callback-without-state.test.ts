/**
 * Regression: `handleRedirectCallback()` on a URL with `?code=…` (or `error`, or a token) and no
 * `state` refused it with STATE_MISSING but left the code in the address bar and the history,
 * because the cleanup only strips responses that carry `state` (so that an app's own
 * `?code=PROMO` is never touched). The explicit call now removes what it was asked to process;
 * the automatic cleanup keeps its rules.
 */
import { isOpenRpError } from '@openrp/core'
import { describe, expect, it } from 'vitest'
import { stripAuthorizationResponse, stripHandledResponse } from '../src/url-cleanup.ts'
import { ORIGIN, useSpaServer } from './spa-server.ts'

const rp = useSpaServer({ enableControlEndpoint: true })

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (error) {
    return isOpenRpError(error) ? error.code : `not an OpenRpError: ${String(error)}`
  }
  return undefined
}

const noLogout = () => false

describe('stripHandledResponse', () => {
  const cases: [string, string][] = [
    [`${ORIGIN}/?code=c`, `${ORIGIN}/`],
    [
      `${ORIGIN}/promo?tab=2&code=c&iss=x#/orders?tab=2&code=keep`,
      `${ORIGIN}/promo?tab=2#/orders?tab=2&code=keep`,
    ],
    [`${ORIGIN}/?q=a+b&%63ode=c&x=%20`, `${ORIGIN}/?q=a+b&x=%20`],
    [`${ORIGIN}/?error=access_denied&error_description=no&keep=1`, `${ORIGIN}/?keep=1`],
    [`${ORIGIN}/app?tab=2#access_token=t&token_type=Bearer&keep=1`, `${ORIGIN}/app?tab=2#keep=1`],
    [`${ORIGIN}/app?code=c#id_token=a.b.c`, `${ORIGIN}/app?code=c`],
    // With state, as stripAuthorizationResponse does.
    [`${ORIGIN}/?code=c&state=s&tab=2`, `${ORIGIN}/?tab=2`],
    // Nothing a callback would read: kept as it is.
    [`${ORIGIN}/orders?state=CA&tab=2`, `${ORIGIN}/orders?state=CA&tab=2`],
    [`${ORIGIN}/?tab=2#/orders?code=x`, `${ORIGIN}/?tab=2#/orders?code=x`],
  ]
  for (const [url, expected] of cases) {
    it(url, () => {
      expect(stripHandledResponse(url, noLogout)).toBe(expected)
    })
  }

  it('leaves the automatic cleanup as it was: a code without state is an app parameter there', () => {
    expect(stripAuthorizationResponse(`${ORIGIN}/promo?code=SUMMER`)).toBe(
      `${ORIGIN}/promo?code=SUMMER`,
    )
  })
})

describe('handleRedirectCallback on a response without state', () => {
  for (const [name, query] of [
    ['a code', 'code=stolen-or-buggy'],
    ['an error', 'error=access_denied&error_description=denied'],
  ] as const) {
    it(`refuses ${name} with STATE_MISSING, strips it from the address bar, stores nothing`, async () => {
      const { spa, navigator, store } = rp.setup()
      const url = `${ORIGIN}/orders?tab=2&${query}&iss=${encodeURIComponent(rp.server.issuer)}#/cart`
      navigator.url = url
      expect(spa.isRedirectCallback()).toBe(false)
      expect(await codeOf(spa.handleRedirectCallback())).toBe('STATE_MISSING')
      expect(navigator.url).toBe(`${ORIGIN}/orders?tab=2#/cart`)
      expect(await store.get(rp.key)).toBeUndefined()
      expect(await spa.isAuthenticated()).toBe(false)
      expect(await rp.server.control.requests({ endpoint: 'token' })).toEqual([])
    })
  }

  it('keeps a pending login of this tab: a bogus response does not use it up', async () => {
    const { spa, navigator } = rp.setup()
    await spa.loginWithRedirect()
    const pending = [...navigator.sessionStorage.items.keys()]
    expect(pending.filter((key) => key.startsWith('openrp.tx.'))).toHaveLength(1)
    expect(await codeOf(spa.handleRedirectCallback(`${ORIGIN}/?code=forged`))).toBe('STATE_MISSING')
    expect([...navigator.sessionStorage.items.keys()]).toEqual(pending)
    expect(navigator.url).toBe(`${ORIGIN}/`)
  })
})
