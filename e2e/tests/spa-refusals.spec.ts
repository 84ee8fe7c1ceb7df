/**
 * What the demo SPA refuses: a replayed or unknown state, a response from another issuer, and
 * a popup closed before it completes (a blocked popup: spa-popup-blocked.spec.ts). Each gives a
 * visible, typed error and leaves no session.
 */
import { RESPONSE_PARAMS, redirectLogin } from '../fixtures/demo-flows.ts'
import {
  expect,
  expectError,
  expectNoSession,
  expectStatus,
  openDemo,
  test,
} from '../fixtures/demo.ts'
import { signIn } from '../fixtures/login.ts'

test.describe('demo SPA: refusals', () => {
  test('a replayed callback (state already used) is refused', async ({ page, demo }) => {
    let callbackUrl: string | undefined
    page.on('request', (r) => {
      if (r.isNavigationRequest() && r.url().startsWith(demo.origin) && /[?&]code=/.test(r.url()))
        callbackUrl = r.url()
    })
    await openDemo(page, demo)
    await redirectLogin(page, demo)
    expect(callbackUrl).toBeDefined()
    await page.evaluate(() => window.openrpDemo?.spa.logout({ localOnly: true }))
    await expectStatus(page, 'signed-out')

    await page.goto(callbackUrl!)
    await expectError(page, 'STATE_MISMATCH')
    await expectNoSession(page)
    expect(page.url()).not.toMatch(RESPONSE_PARAMS)
    // The replayed code never reached the token endpoint.
    const exchanges = await demo.control.requests({
      endpoint: 'token',
      grantType: 'authorization_code',
    })
    expect(exchanges).toHaveLength(1)
  })

  test('a callback with an unknown state is refused', async ({ page, demo }) => {
    await openDemo(page, demo)
    const forged = new URL(demo.url)
    forged.searchParams.set('code', 'forged-code')
    forged.searchParams.set('state', 'a-state-this-tab-never-sent')
    forged.searchParams.set('iss', demo.issuer)
    await page.goto(forged.href)
    await expectError(page, 'STATE_MISMATCH')
    await expectNoSession(page)
    expect(page.url()).not.toMatch(RESPONSE_PARAMS)
    expect(await demo.control.requests({ endpoint: 'token' })).toEqual([])
  })

  test('a response with the wrong iss (mix-up) is refused', async ({ page, demo }) => {
    await demo.control.setFaults({ authorizationResponse: { iss: 'wrong' } })
    await openDemo(page, demo)
    await page.getByTestId('login-redirect').click()
    await signIn(page, demo.issuer)
    await expectError(page, 'ISS_MISMATCH')
    await expectNoSession(page)
    expect(page.url()).not.toMatch(RESPONSE_PARAMS)
    expect(await demo.control.requests({ endpoint: 'token' })).toEqual([])
  })

  test('a popup closed before sign-in completes gives POPUP_CLOSED', async ({ page, demo }) => {
    await openDemo(page, demo)
    const popupOpened = page.waitForEvent('popup')
    await page.getByTestId('login-popup').click()
    const popup = await popupOpened
    await popup.waitForURL((url) => url.origin === demo.issuer && url.pathname === '/login')
    await popup.close()
    await expectError(page, 'POPUP_CLOSED')
    await expectNoSession(page)
    expect(await demo.control.requests({ endpoint: 'token' })).toEqual([])
  })
})
