/**
 * The demo SPA in real Chromium: every way to sign in, through the reference server's real
 * login form. After a callback, nothing of the response stays in the address bar, the history
 * or a Referer header.
 */
import { join } from 'node:path'
import { expectCleanUrlAndHistory, recordRequests, redirectLogin } from '../fixtures/demo-flows.ts'
import {
  alice,
  expect,
  expectSignedInAsAlice,
  expectStatus,
  openDemo,
  test,
} from '../fixtures/demo.ts'
import { signIn } from '../fixtures/login.ts'

const SCREENSHOTS = join(import.meta.dirname, '..', 'artifacts', 'screenshots')

test.describe('demo SPA: sign-in', () => {
  test('redirect login (code + PKCE): signed in, clean URL and history, screenshots saved', async ({
    page,
    demo,
  }, testInfo) => {
    const requests = recordRequests(page)
    await openDemo(page, demo)
    await expectStatus(page, 'signed-out')
    await expect(page.getByTestId('signed-out-panel')).toBeVisible()
    const signedOut = join(SCREENSHOTS, 'demo-signed-out.png')
    await page.screenshot({ path: signedOut, fullPage: true })
    await testInfo.attach('demo signed out', { path: signedOut, contentType: 'image/png' })

    await redirectLogin(page, demo)
    await expect(page.getByTestId('user-claims').locator('[data-claim="email"]')).toContainText(
      String(alice.claims.email),
    )
    await expect(page.getByTestId('token-type')).toHaveText('Bearer token')
    await expect(page.getByTestId('token-expiry')).toHaveAttribute('data-seconds', /^\d+$/)
    await expect(page.getByTestId('id-token-claims')).toContainText(alice.sub)
    await expect(page.getByTestId('access-token-header')).not.toBeEmpty()
    await expectCleanUrlAndHistory(page, demo)

    const signedIn = join(SCREENSHOTS, 'demo-signed-in.png')
    await page.screenshot({ path: signedIn, fullPage: true })
    await testInfo.attach('demo signed in', { path: signedIn, contentType: 'image/png' })

    const codeGrants = await demo.control.requests({
      endpoint: 'token',
      grantType: 'authorization_code',
    })
    expect(codeGrants.map((r) => r.status)).toEqual([200])

    // The callback page leaks neither code nor state through Referer, to anyone.
    const sent = await requests.all()
    const callback = sent.find((r) => r.url.startsWith(demo.origin) && /[?&]code=/.test(r.url))
    expect(callback, 'the provider redirected back with a code').toBeDefined()
    const afterCallback = sent.slice(sent.indexOf(callback!) + 1)
    expect(afterCallback.length).toBeGreaterThan(0)
    for (const request of sent) {
      expect(request.headers.referer ?? '', `Referer of ${request.url}`).not.toMatch(
        /[?#&](code|state)=/,
      )
    }
  })

  test('popup login: the page stays put and signs in', async ({ page, demo }) => {
    const requests = recordRequests(page)
    await openDemo(page, demo)
    const before = page.url()
    const popupOpened = page.waitForEvent('popup')
    await page.getByTestId('login-popup').click()
    const popup = await popupOpened
    await signIn(popup, demo.issuer, { closes: true })
    await expectSignedInAsAlice(page)
    expect(page.url()).toBe(before)
    expect(popup.isClosed()).toBe(true)
    await expectCleanUrlAndHistory(page, demo)
    expect(
      (await demo.control.requests({ endpoint: 'token', grantType: 'authorization_code' })).length,
    ).toBe(1)
    // The popup's callback page (its URL holds code and state) leaks them through no Referer.
    const sent = await requests.all()
    expect(sent.some((r) => r.frameUrl.startsWith(`${demo.origin}/popup-callback.html?`))).toBe(
      true,
    )
    for (const request of sent) {
      expect(request.headers.referer ?? '', `Referer of ${request.url}`).not.toMatch(
        /[?#&](code|state)=/,
      )
    }
  })

  test('hybrid login (code id_token, legacy client): signed in, fragment cleared', async ({
    page,
    demo,
  }) => {
    await openDemo(page, demo)
    await redirectLogin(page, demo, 'login-hybrid', 'legacy-spa')
    await expectCleanUrlAndHistory(page, demo)
    // The code from the fragment was exchanged at the token endpoint.
    expect(
      (await demo.control.requests({ endpoint: 'token', grantType: 'authorization_code' })).length,
    ).toBe(1)
  })

  test('implicit login (id_token token, legacy): signed in with no token request', async ({
    page,
    demo,
  }) => {
    await openDemo(page, demo)
    await redirectLogin(page, demo, 'login-implicit', 'legacy-spa')
    await expect(page.getByTestId('token-type')).toHaveText('Bearer token')
    await expectCleanUrlAndHistory(page, demo)
    expect(await demo.control.requests({ endpoint: 'token' })).toEqual([])
    const hasRefreshToken = await page.evaluate(
      async () => (await window.openrpDemo?.spa.getTokenSet())?.refreshToken !== undefined,
    )
    expect(hasRefreshToken).toBe(false)
  })
})
