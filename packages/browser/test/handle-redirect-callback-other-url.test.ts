/**
 * Regression: `handleRedirectCallback(url)` with a URL that is not the page's (a deep link an app
 * shell hands over, a response relayed from another window) put that URL, stripped, into this
 * page's address bar: a page the user was not on, or, for a URL of another origin or scheme,
 * the History API's SecurityError, which failed the login. The address bar is now cleaned only
 * when it holds the URL being handled.
 */
import { completeLogin, DEMO_USERS } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { ORIGIN, useSpaServer } from './spa-server.ts'

const rp = useSpaServer()

/** A redirect login through the provider's form; the callback URL, not put in the address bar. */
async function callbackUrl(setup: ReturnType<typeof rp.setup>): Promise<URL> {
  await setup.spa.loginWithRedirect()
  return (await completeLogin(setup.navigator.assigned.at(-1)!)).url
}

describe('handleRedirectCallback with a URL that is not the address bar', () => {
  it("leaves the page's address as it is", async () => {
    const app = rp.setup()
    app.navigator.url = `${ORIGIN}/orders?tab=2#/cart`
    const response = await callbackUrl(app)
    const { tokenSet } = await app.spa.handleRedirectCallback(response.toString())
    expect(tokenSet?.claims()?.sub).toBe(DEMO_USERS[0]!.sub)
    expect(app.navigator.url).toBe(`${ORIGIN}/orders?tab=2#/cart`)
  })

  it('cleans the address bar when it holds the URL handled, spelt another way', async () => {
    const app = rp.setup()
    const response = await callbackUrl(app)
    app.navigator.url = response.toString()
    // The same URL with the scheme in capitals: another string, the same address.
    const spelt = response.toString().replace('http://', 'HTTP://')
    await app.spa.handleRedirectCallback(spelt)
    expect(new URL(app.navigator.url).searchParams.has('code')).toBe(false)
  })

  it('completes a login from a deep link of another scheme', async () => {
    const app = rp.setup()
    const response = await callbackUrl(app)
    const deepLink = `com.example.app:/callback${response.search}`
    const { tokenSet } = await app.spa.handleRedirectCallback(deepLink)
    expect(tokenSet?.claims()?.sub).toBe(DEMO_USERS[0]!.sub)
    expect(app.navigator.url).toBe(`${ORIGIN}/`)
  })
})
