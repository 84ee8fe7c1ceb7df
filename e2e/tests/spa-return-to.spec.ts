/**
 * Regression: a `returnTo` whose dot segments resolve to `//host` (`/.//evil.example/`) was
 * accepted as same-origin and handed back as a protocol-relative URL to another host. In real
 * Chromium, through the demo's live SpaClient: refused before anything leaves the page.
 */
import { expect, expectNoSession, openDemo, test } from '../fixtures/demo.ts'

const BYPASSES = ['/.//evil.example/', '/a/..//evil.example/', '/.\\/evil.example/']

test.describe('demo SPA: returnTo stays on the app origin', () => {
  for (const returnTo of BYPASSES) {
    test(`loginWithRedirect({ returnTo: ${JSON.stringify(returnTo)} }) rejects with REDIRECT_NOT_ALLOWED`, async ({
      page,
      demo,
    }) => {
      await openDemo(page, demo)
      const before = page.url()
      const outcome = await page.evaluate(async (target) => {
        try {
          await window.openrpDemo!.spa.loginWithRedirect({ returnTo: target })
          return { resolved: true, code: undefined, pending: Object.keys(sessionStorage) }
        } catch (error) {
          const code = (error as { code?: string }).code
          return { resolved: false, code, pending: Object.keys(sessionStorage) }
        }
      }, returnTo)
      expect(outcome.resolved).toBe(false)
      expect(outcome.code).toBe('REDIRECT_NOT_ALLOWED')
      // No transaction kept, no trip to the provider, the page did not move.
      expect(outcome.pending.filter((key) => key.startsWith('openrp.tx.'))).toEqual([])
      expect(page.url()).toBe(before)
      expect(await demo.control.requests({ endpoint: 'authorize' })).toEqual([])
      await expectNoSession(page)
    })
  }
})
