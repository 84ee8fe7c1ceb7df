/**
 * Token lifecycle across tabs in real Chromium: five tabs of one origin, each with its own
 * TokenManager on a shared IndexedDbStore (optionally under EncryptedStore), WebLocksLock and
 * TabSync, against the reference server. Refreshes are counted at the server.
 */
import type { BrowserContext, Page } from '@playwright/test'
import type { ServerControl } from '@openrp/reference-server'
import { BROWSER_CLIENT, BROWSER_SCOPE } from '../fixtures/clients.ts'
import { expect, openPage, test, waitForPage } from '../fixtures/harness.ts'
import { signIn } from '../fixtures/login.ts'
import type { PageServer } from '../harness/page-server.ts'
import type { LifecycleConfig } from '../harness/pages/lifecycle-api.ts'

const TABS = 5

/** Opens the lifecycle page, logs in through the login form and returns the callback result. */
async function signInOnPage(page: Page, pages: PageServer, config: LifecycleConfig) {
  await openPage(page, pages, 'lifecycle')
  await page.evaluate(([c, scope]) => window.lifecycle.beginLogin(c, scope), [
    config,
    BROWSER_SCOPE,
  ] as const)
  await signIn(page, config.issuer)
  await waitForPage(page)
  return page.evaluate(() => window.lifecycle.callback)
}

/** Logs in in a first tab through the login form, then opens the other tabs on the session. */
async function signedInTabs(
  context: BrowserContext,
  first: Page,
  pages: PageServer,
  config: LifecycleConfig,
): Promise<Page[]> {
  const login = await signInOnPage(first, pages, config)
  expect(login).toMatchObject({ ok: true, tokens: { refreshToken: expect.any(String) } })
  const tabs = [first]
  for (let i = 1; i < TABS; i++) {
    const tab = await context.newPage()
    await openPage(tab, pages, 'lifecycle')
    await tab.evaluate((c) => window.lifecycle.setup(c), config)
    tabs.push(tab)
  }
  return tabs
}

/** Every tab asks for an access token at the same wall-clock moment. */
function allAtOnce(tabs: Page[], leadMs = 250) {
  const at = Date.now() + leadMs
  return Promise.all(
    tabs.map((tab) => tab.evaluate((t) => window.lifecycle.getAccessTokenAt(t), at)),
  )
}

function refreshRequests(control: ServerControl) {
  return control.requests({ endpoint: 'token', grantType: 'refresh_token' })
}

async function expectNoTrouble(tabs: Page[]) {
  for (const tab of tabs) {
    const events = await tab.evaluate(() => window.lifecycle.events())
    expect(events.expired).toEqual([])
    expect(events.error).toEqual([])
  }
}

test.describe('token lifecycle across tabs', () => {
  test('five tabs asking at the same moment after expiry make exactly one refresh request', async ({
    context,
    page,
    pages,
    provider,
  }) => {
    const config = { issuer: provider.issuer, clientId: BROWSER_CLIENT, encrypted: true }
    const tabs = await signedInTabs(context, page, pages, config)
    const before = await tabs[0]!.evaluate(() => window.lifecycle.stored())

    // While valid: every tab gets the stored token, no request at all.
    const fresh = await allAtOnce(tabs)
    expect(fresh.map((r) => (r.ok ? r.accessToken : r.code))).toEqual(
      Array(TABS).fill(before?.accessToken),
    )
    expect(refreshRequests(provider.control)).toHaveLength(0)

    await tabs[2]!.evaluate(() => window.lifecycle.expireStoredToken())
    const results = await allAtOnce(tabs)

    expect(refreshRequests(provider.control).map((r) => r.status)).toEqual([200])
    const tokens = results.map((r) => (r.ok ? r.accessToken : `${r.name}:${r.code}`))
    expect(new Set(tokens).size).toBe(1)
    expect(tokens[0]).not.toBe(before?.accessToken)
    for (const tab of tabs) {
      const stored = await tab.evaluate(() => window.lifecycle.stored())
      expect(stored?.accessToken).toBe(tokens[0])
      expect(stored?.refreshToken).not.toBe(before?.refreshToken)
    }
    await expectNoTrouble(tabs)
  })

  test('a refresh-token family survives 200 rotations across five tabs', async ({
    context,
    page,
    pages,
    provider,
  }) => {
    test.setTimeout(120_000)
    const config = { issuer: provider.issuer, clientId: BROWSER_CLIENT, encrypted: true }
    const tabs = await signedInTabs(context, page, pages, config)
    const initial = await tabs[0]!.evaluate(() => window.lifecycle.stored())
    const refreshTokens = [initial?.refreshToken]

    const ROTATIONS = 200
    for (let i = 0; i < ROTATIONS; i++) {
      if (i % 4 === 3) {
        // Every fourth rotation: an expiry seen by all tabs at once (one of them refreshes).
        await tabs[i % TABS]!.evaluate(() => window.lifecycle.expireStoredToken())
        const results = await allAtOnce(tabs, 100)
        const seen = results.map((r) =>
          r.ok ? `${r.accessToken} ${r.storedRefreshToken}` : `${r.name}:${r.code}`,
        )
        expect(new Set(seen).size, `rotation ${i}: tabs disagree`).toBe(1)
        const first = results[0]!
        refreshTokens.push(first.ok ? first.storedRefreshToken : undefined)
      } else {
        // Otherwise "refresh now" in the next tab, which must use what another tab stored.
        const result = await tabs[i % TABS]!.evaluate(() => window.lifecycle.refreshNow())
        expect(result, `rotation ${i}`).toMatchObject({ ok: true })
        if (result.ok) refreshTokens.push(result.tokens.refreshToken)
      }
    }

    const requests = refreshRequests(provider.control)
    expect(requests).toHaveLength(ROTATIONS)
    // No reuse detected: the provider accepted every refresh token exactly once.
    expect(requests.filter((r) => r.status !== 200)).toEqual([])
    expect(new Set(refreshTokens).size).toBe(ROTATIONS + 1)
    expect(refreshTokens).not.toContain(undefined)
    const last = refreshTokens.at(-1)
    for (const tab of tabs) {
      expect((await tab.evaluate(() => window.lifecycle.stored()))?.refreshToken).toBe(last)
    }
    await expectNoTrouble(tabs)
    // The family is still alive: one more rotation succeeds.
    expect(await tabs[0]!.evaluate(() => window.lifecycle.refreshNow())).toMatchObject({ ok: true })
  })

  test('tokens under EncryptedStore are not readable as plaintext from IndexedDB', async ({
    page,
    pages,
    provider,
  }) => {
    const config = { issuer: provider.issuer, clientId: BROWSER_CLIENT, encrypted: true }
    expect(await signInOnPage(page, pages, config)).toMatchObject({ ok: true })

    const report = await page.evaluate(() => window.lifecycle.findPlaintext())
    expect(report.values).toBeGreaterThan(0)
    expect(report.found).toEqual({
      accessToken: false,
      refreshToken: false,
      idToken: false,
      tokenField: false,
    })
    expect(report.foundInWebStorage).toBe(false)
    // The key is a non-extractable AES-GCM CryptoKey the page cannot export.
    expect(report.cryptoKeys).toEqual([
      { extractable: false, algorithm: 'AES-GCM', exportRefused: true },
    ])
  })

  test('without EncryptedStore the same search finds the tokens (the check can fail)', async ({
    page,
    pages,
    provider,
  }) => {
    const config = { issuer: provider.issuer, clientId: BROWSER_CLIENT, encrypted: false }
    expect(await signInOnPage(page, pages, config)).toMatchObject({ ok: true })

    const report = await page.evaluate(() => window.lifecycle.findPlaintext())
    expect(report.found).toMatchObject({ accessToken: true, refreshToken: true, idToken: true })
  })
})
