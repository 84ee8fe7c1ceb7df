/**
 * The demo SPA's session once signed in: renewal by refresh token and, without one, silently in
 * a hidden iframe; a DPoP-bound API call; RP-initiated logout through end_session. Requests are
 * counted at the reference server.
 */
import { recordRequests, redirectLogin } from '../fixtures/demo-flows.ts'
import {
  alice,
  expect,
  expectError,
  expectNoSession,
  expectStatus,
  openDemo,
  test,
} from '../fixtures/demo.ts'
import { signIn } from '../fixtures/login.ts'

test.describe('demo SPA: session', () => {
  test('silent renew by refresh token', async ({ page, demo }) => {
    await openDemo(page, demo)
    await redirectLogin(page, demo)
    const fingerprint = page.getByTestId('access-token-fingerprint')
    const before = await fingerprint.textContent()
    expect(before).toMatch(/^[0-9a-f]{16}$/)

    await page.getByTestId('refresh-now').click()
    await expect(fingerprint).not.toHaveText(before!)
    await expect(page.getByTestId('event-log').locator('[data-event="refreshed"]')).toHaveCount(1)
    await expectStatus(page, 'signed-in')
    const refreshes = await demo.control.requests({ endpoint: 'token', grantType: 'refresh_token' })
    expect(refreshes.map((r) => r.status)).toEqual([200])
    expect(await demo.control.requests({ endpoint: 'authorize' })).toHaveLength(1)
  })

  for (const variant of ['code flow without offline_access', 'implicit login'] as const) {
    test(`silent renew in a hidden iframe when there is no refresh token (${variant})`, async ({
      page,
      demo,
    }) => {
      await openDemo(page, demo)
      // Without a refresh token, renewal must go to the provider.
      if (variant === 'implicit login') {
        await redirectLogin(page, demo, 'login-implicit', 'legacy-spa')
      } else {
        const reloaded = page.waitForEvent('load')
        // click(), not uncheck(): the change reloads the page, and uncheck() would look at the
        // reloaded page's box and may click it again.
        await page.getByTestId('refresh-token-toggle').click()
        await reloaded
        await expect(page.getByTestId('refresh-token-toggle')).not.toBeChecked()
        await expectStatus(page, 'signed-out')
        await redirectLogin(page, demo)
      }
      expect(
        await page.evaluate(async () => (await window.openrpDemo?.spa.getTokenSet())?.refreshToken),
      ).toBeUndefined()
      const fingerprint = page.getByTestId('access-token-fingerprint')
      const before = await fingerprint.textContent()
      const url = page.url()
      await demo.control.clearRequests()

      const requests = recordRequests(page)
      await page.getByTestId('refresh-now').click()
      await expect(fingerprint).not.toHaveText(before!)
      await expectStatus(page, 'signed-in')
      await expect(page.getByTestId('user-sub')).toHaveText(alice.sub)
      expect(page.url()).toBe(url)

      const authorize = (await requests.all()).filter((r) =>
        r.url.startsWith(`${demo.issuer}/authorize`),
      )
      expect(authorize).toHaveLength(1)
      const silent = new URL(authorize[0]!.url)
      expect(silent.searchParams.get('prompt')).toBe('none')
      // Sent from a frame, not from the page itself.
      expect(authorize[0]!.frameUrl).not.toBe(url)
      expect(
        await demo.control.requests({ endpoint: 'token', grantType: 'refresh_token' }),
      ).toEqual([])
      expect(await demo.control.requests({ endpoint: 'login' })).toEqual([])
    })
  }

  test('silent renew needing the user (provider session gone) says INTERACTION_REQUIRED', async ({
    context,
    page,
    demo,
  }) => {
    await openDemo(page, demo)
    await redirectLogin(page, demo, 'login-implicit', 'legacy-spa')
    // The provider no longer knows the browser: prompt=none must answer login_required.
    await context.clearCookies()
    await page.getByTestId('refresh-now').click()
    await expectError(page, 'INTERACTION_REQUIRED')
    await expectNoSession(page)
    expect(await demo.control.requests({ endpoint: 'token' })).toEqual([])
  })

  test('logout: revokes, ends the provider session through end_session, signs out', async ({
    page,
    demo,
  }) => {
    await openDemo(page, demo)
    await redirectLogin(page, demo)
    await demo.control.clearRequests()

    await expect(page.getByTestId('logout-revoke')).toBeChecked()
    const toProvider = page.waitForRequest(
      (r) => r.isNavigationRequest() && new URL(r.url()).origin === demo.issuer,
    )
    const backHome = page.waitForRequest(
      (r) => r.isNavigationRequest() && new URL(r.url()).origin === demo.origin,
    )
    await page.getByTestId('logout').click()
    const endSessionUrl = new URL((await toProvider).url())
    expect(endSessionUrl.searchParams.get('id_token_hint')).toMatch(/^eyJ/)
    expect(endSessionUrl.searchParams.get('post_logout_redirect_uri')).toBe(demo.url)
    await backHome
    await page.waitForLoadState('load')
    await expectNoSession(page)
    await expect(page.getByTestId('error')).toBeHidden()

    const endSession = await demo.control.requests({ endpoint: 'end_session' })
    expect(endSession).toHaveLength(1)
    expect(endSession[0]!.status).toBeLessThan(400)
    const revocations = await demo.control.requests({ endpoint: 'revocation' })
    expect(revocations.map((r) => r.status)).toEqual([200, 200])

    // The provider forgot the session: signing in again asks for the password.
    await page.getByTestId('login-redirect').click()
    await signIn(page, demo.issuer)
    await expectStatus(page, 'signed-in')
    expect(await demo.control.requests({ endpoint: 'login' })).not.toEqual([])
  })

  test('DPoP-bound API call', async ({ page, demo }) => {
    await openDemo(page, demo)
    // Changing the setting signs out locally and reloads the page. click(), not check(): check()
    // re-reads the box after the click, and may read the reloaded page's static (unchecked)
    // markup before the app has applied the setting, then click again.
    const reloaded = page.waitForEvent('load')
    await page.getByTestId('dpop-toggle').click()
    await reloaded
    await expectStatus(page, 'signed-out')
    await expect(page.getByTestId('dpop-toggle')).toBeChecked()

    await redirectLogin(page, demo)
    await expect(page.getByTestId('token-type')).toHaveText('DPoP-bound token')
    const requests = recordRequests(page)
    await page.getByTestId('call-api').click()
    const result = page.getByTestId('api-result')
    await expect(result).toHaveAttribute('data-status', '200')
    const body = JSON.parse((await result.textContent()) ?? '{}') as Record<string, unknown>
    expect(body).toMatchObject({ sub: alice.sub, client_id: 'spa', token_type: 'DPoP' })

    const api = (await requests.all()).filter((r) => r.url === `${demo.issuer}/api/me`)
    const sent = api.find((r) => r.headers.authorization)
    expect(sent?.headers.authorization).toMatch(/^DPoP /)
    expect(sent?.headers.dpop).toMatch(/^eyJ/)
  })
})
