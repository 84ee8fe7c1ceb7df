/**
 * Regressions in the address-bar cleanup: a hash-router fragment (`#/orders?tab=2`) was
 * re-serialised as form data (`#%2Forders%3Ftab=2`), an app's own `state` / `scope` / `code`
 * parameters were stripped from URLs that were no callback at all, and `?state=CA` alone counted
 * as a callback.
 */
import { describe, expect, it } from 'vitest'
import { TransactionStore } from '../src/transaction-store.ts'
import {
  authorizationResponseParams,
  hasAuthorizationResponse,
  stripAuthorizationResponse,
} from '../src/url-cleanup.ts'
import { MemoryStorage } from './spa-fakes.ts'

const APP = 'http://127.0.0.1:4001'

describe('stripAuthorizationResponse leaves URLs that are no response as they are', () => {
  const untouched = [
    `${APP}/#/orders?tab=2`,
    `${APP}/#/dashboard?tab=2&state=open&page=2`,
    `${APP}/#!/a?code=SUMMER&state=x`,
    `${APP}/search?state=open&scope=mine`,
    `${APP}/promo?code=SUMMER`,
    `${APP}/errors?error=404&page=1`,
    `${APP}/?q=a+b&x=%20#/r?a=b%20c`,
    `${APP}/orders?state=CA&tab=2`,
  ]
  for (const url of untouched) {
    it(JSON.stringify(url), () => {
      expect(stripAuthorizationResponse(url)).toBe(url)
    })
  }
})

describe('stripAuthorizationResponse on real responses', () => {
  it('strips a code response from the query and keeps the hash route as it was', () => {
    expect(
      stripAuthorizationResponse(
        `${APP}/?code=c&state=s&iss=http%3A%2F%2Fop&q=a+b&x=%20#/orders?tab=2&state=open`,
      ),
    ).toBe(`${APP}/?q=a+b&x=%20#/orders?tab=2&state=open`)
    // Encoded parameter names are response parameters too.
    expect(stripAuthorizationResponse(`${APP}/?%63ode=c&stat%65=s&tab=2#/a`)).toBe(
      `${APP}/?tab=2#/a`,
    )
  })

  it('strips an implicit or hybrid response from the fragment and leaves the query alone', () => {
    expect(
      stripAuthorizationResponse(
        `${APP}/app?state=open&scope=mine#code=c&id_token=a.b.c&state=s&session_state=x`,
      ),
    ).toBe(`${APP}/app?state=open&scope=mine`)
    expect(
      stripAuthorizationResponse(`${APP}/#access_token=t&token_type=Bearer&state=s&keep=1`),
    ).toBe(`${APP}/#keep=1`)
  })

  it('strips a bare post-logout return, and with a check only the state it knows', () => {
    expect(stripAuthorizationResponse(`${APP}/?state=s1`)).toBe(`${APP}/`)
    const known = (state: string) => state === 's1'
    expect(stripAuthorizationResponse(`${APP}/?from=logout&state=s1`, known)).toBe(
      `${APP}/?from=logout`,
    )
    expect(stripAuthorizationResponse(`${APP}/?state=CA`, known)).toBe(`${APP}/?state=CA`)
  })
})

describe('hasAuthorizationResponse needs state with a code, an error or a token', () => {
  it('counts real responses, not app parameters that look like one', () => {
    for (const url of [
      `${APP}/orders?state=CA&tab=2`,
      `${APP}/search?state=open&scope=mine`,
      `${APP}/promo?code=SUMMER`,
      `${APP}/#/promo?code=SUMMER&state=x`,
      `${APP}/?error=404`,
      `${APP}/#/orders?tab=2`,
    ])
      expect(hasAuthorizationResponse(url), url).toBe(false)
    for (const url of [
      `${APP}/?code=c&state=s`,
      `${APP}/?error=access_denied&state=s#/route`,
      `${APP}/#id_token=a.b.c&state=s`,
      `${APP}/#access_token=t&token_type=Bearer&state=s`,
      `${APP}/#code=c&id_token=a.b.c&state=s`,
    ])
      expect(hasAuthorizationResponse(url), url).toBe(true)
  })

  it('takes a lone state only when it is a pending logout', () => {
    const transactions = new TransactionStore(new MemoryStorage(), 'spa')
    transactions.save('out', { transaction: null, mode: 'logout', createdAt: Date.now() })
    transactions.save('in', { transaction: null, mode: 'redirect', createdAt: Date.now() })
    const isLogout = (state: string) => transactions.isPending(state, 'logout')
    expect(hasAuthorizationResponse(`${APP}/?state=out`, isLogout)).toBe(true)
    expect(hasAuthorizationResponse(`${APP}/?state=CA`, isLogout)).toBe(false)
    expect(hasAuthorizationResponse(`${APP}/?state=in`, isLogout)).toBe(false)
    // isPending does not take the transaction: the callback still finds it.
    expect(transactions.take('out').mode).toBe('logout')
    expect(transactions.isPending('out')).toBe(false)
  })

  it('without a check, a lone state counts only as a bare post-logout return', () => {
    expect(hasAuthorizationResponse(`${APP}/?state=s`)).toBe(true)
    expect(hasAuthorizationResponse(`${APP}/?state=CA&tab=2`)).toBe(false)
  })
})

describe('authorizationResponseParams', () => {
  it('never reads a hash route as the response', () => {
    expect(authorizationResponseParams(`${APP}/?code=c&state=s#/r&state=x`).get('state')).toBe('s')
    expect(authorizationResponseParams(`${APP}/?state=s#!/r&code=x`).get('state')).toBe('s')
  })
})
