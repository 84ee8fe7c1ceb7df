/**
 * Regression: with sessionStorage blocked (cookies blocked, a sandboxed frame), merely reading
 * `window.sessionStorage` throws a SecurityError, and createSpaClient threw it, untyped, at
 * construction. Now the client is created, and only what needs the login transaction fails,
 * with StoreError (`STORE_ERROR`).
 */
import { expect, expectError, expectNoSession, expectStatus, test } from '../fixtures/demo.ts'

test.describe('demo SPA with sessionStorage blocked', () => {
  test.beforeEach(async ({ page }) => {
    await page.addInitScript(() => {
      Object.defineProperty(window, 'sessionStorage', {
        configurable: true,
        get() {
          throw new DOMException('Access is denied for this document.', 'SecurityError')
        },
      })
    })
  })

  test('the client is created; redirect login rejects with STORE_ERROR and leaves nothing', async ({
    page,
    demo,
  }) => {
    await page.goto(demo.url)
    await expectStatus(page, 'signed-out')
    await expect(page.getByTestId('error')).toBeHidden()
    expect(await page.evaluate(() => typeof window.openrpDemo?.spa)).toBe('object')
    // The init script really blocks it in this page.
    expect(
      await page.evaluate(() => {
        try {
          return typeof window.sessionStorage
        } catch (error) {
          return (error as DOMException).name
        }
      }),
    ).toBe('SecurityError')

    await page.getByTestId('login-redirect').click()
    await expectError(page, 'STORE_ERROR')
    expect(page.url()).toBe(demo.url)
    expect(await demo.control.requests({ endpoint: 'authorize' })).toEqual([])
    await expectNoSession(page)
  })

  test('loginWithRedirect() called directly rejects with STORE_ERROR, the SecurityError as cause', async ({
    page,
    demo,
  }) => {
    await page.goto(demo.url)
    await expectStatus(page, 'signed-out')
    const outcome = await page.evaluate(async () => {
      try {
        await window.openrpDemo!.spa.loginWithRedirect({ returnTo: '/' })
        return { code: 'resolved', cause: undefined }
      } catch (error) {
        const { code, cause } = error as { code?: unknown; cause?: { name?: string } }
        return { code, cause: cause?.name }
      }
    })
    // The bundle is minified, so the class name is not asserted: the stable code is.
    expect(outcome).toEqual({ code: 'STORE_ERROR', cause: 'SecurityError' })
  })
})
