/**
 * Regression: isRedirectCallback(url) and handleRedirectCallback(url) with a URL that is not
 * absolute (a path such as `location.pathname + location.search`, or a broken string) threw the
 * URL parser's bare TypeError. They now refuse it with INVALID_ARGUMENT, before anything is
 * touched: the pending login and the address bar stay as they are.
 */
import { isOpenRpError } from '@openrp/core'
import { describe, expect, it } from 'vitest'
import { stripAuthorizationResponse } from '../src/url-cleanup.ts'
import { ORIGIN, useSpaServer } from './spa-server.ts'

const rp = useSpaServer()

function codeOf(run: () => unknown): Promise<string | undefined> {
  return Promise.resolve()
    .then(run)
    .then(
      () => undefined,
      (error: unknown) => (isOpenRpError(error) ? error.code : `not typed: ${String(error)}`),
    )
}

describe('a callback URL that is not absolute', () => {
  it('is refused with INVALID_ARGUMENT and changes nothing', async () => {
    const { spa, navigator } = rp.setup()
    await spa.loginWithRedirect()
    const state = new URL(navigator.assigned.at(-1)!).searchParams.get('state')
    const pending = [...navigator.sessionStorage.items.keys()]
    navigator.url = `${ORIGIN}/orders`
    for (const url of [`/?code=c&state=${state}`, 'http://[broken']) {
      expect(await codeOf(() => spa.isRedirectCallback(url))).toBe('INVALID_ARGUMENT')
      expect(await codeOf(() => spa.handleRedirectCallback(url))).toBe('INVALID_ARGUMENT')
      expect(await codeOf(() => stripAuthorizationResponse(url))).toBe('INVALID_ARGUMENT')
    }
    expect([...navigator.sessionStorage.items.keys()]).toEqual(pending)
    expect(navigator.url).toBe(`${ORIGIN}/orders`)
  })
})
