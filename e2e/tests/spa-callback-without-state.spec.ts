/**
 * A code (or error, or token) without `state` handed to the demo SPA, in real Chromium: the
 * automatic check at load does not take it for a callback (an app's own `?code=PROMO` stays),
 * but when the app calls `handleRedirectCallback()` on it explicitly, the call fails with
 * STATE_MISSING and the response no longer stays in the address bar or the history; the app's
 * own parameters and hash route do, and nothing is stored or sent to the token endpoint.
 *
 * Regression: the explicit call refused it but left `?code=…` in place, since the cleanup only
 * strips responses that carry `state`.
 */
import { historyUrls, RESPONSE_PARAMS } from '../fixtures/demo-flows.ts'
import { expect, expectNoSession, expectStatus, openDemo, test } from '../fixtures/demo.ts'

/** What the page saw: the rejection's stable code (the demo is minified: class names are not). */
interface CallbackOutcome {
  rejected: boolean
  code: string | undefined
}

const cases = [
  { name: 'a code in the query', response: '&code=crafted-code', part: 'query' },
  {
    name: 'an error response in the query',
    response: '&error=access_denied&error_description=nope',
    part: 'query',
  },
  {
    name: 'a code and token in the fragment',
    response: 'code=crafted&access_token=t',
    part: 'hash',
  },
] as const

test.describe('demo SPA: handleRedirectCallback() on a response without state', () => {
  for (const { name, response, part } of cases) {
    test(`${name}: STATE_MISSING, the response leaves the URL, the app's own parts stay`, async ({
      page,
      demo,
    }) => {
      await openDemo(page, demo)
      await expectStatus(page, 'signed-out')
      // The app's own query and hash-router route, next to the stray response.
      const own = part === 'query' ? `?tab=2${response}#/orders?tab=2` : `?tab=2#${response}`
      const expected = part === 'query' ? '?tab=2#/orders?tab=2' : '?tab=2'
      await page.goto(`${demo.origin}/${own}`)
      await expectStatus(page, 'signed-out')

      // Not a callback by the automatic rules: the demo leaves the URL alone and shows no error.
      expect(await page.evaluate(() => window.openrpDemo!.spa.isRedirectCallback())).toBe(false)
      await expect(page.getByTestId('error')).toBeHidden()
      expect(page.url()).toBe(`${demo.origin}/${own}`)

      const outcome = await page.evaluate(async (): Promise<CallbackOutcome> => {
        try {
          await window.openrpDemo!.spa.handleRedirectCallback()
          return { rejected: false, code: undefined }
        } catch (error) {
          return { rejected: true, code: (error as { code?: string }).code }
        }
      })
      expect(outcome).toEqual({ rejected: true, code: 'STATE_MISSING' })

      expect(page.url()).toBe(`${demo.origin}/${expected}`)
      expect(page.url()).not.toMatch(RESPONSE_PARAMS)
      expect(await page.evaluate(() => location.hash)).toBe(
        part === 'query' ? '#/orders?tab=2' : '',
      )
      // The entry was replaced, not pushed: no history entry keeps the response.
      for (const url of (await historyUrls(page)).filter((u) => u.startsWith(demo.origin)))
        expect(url).not.toMatch(RESPONSE_PARAMS)

      // Nothing stored, nothing sent to the provider.
      await expectNoSession(page)
      expect(await demo.control.requests({ endpoint: 'token' })).toEqual([])
      const sessionKeys = await page.evaluate(() => Object.keys(sessionStorage))
      expect(sessionKeys.filter((k) => k.includes('openrp'))).toEqual([])

      // Still signed out after a reload of the cleaned URL, with no error either.
      await page.reload()
      await expectStatus(page, 'signed-out')
      await expect(page.getByTestId('error')).toBeHidden()
      expect(page.url()).toBe(`${demo.origin}/${expected}`)
    })
  }
})
