/**
 * The demo SPA's user name in real Chromium, against a reference server that (like conformant
 * providers) keeps profile claims out of the code flow's ID token and serves them at userinfo:
 * the demo shows the name through `spa.userinfo()`, which runs with the sub check on the
 * SpaClient's own core, keeps the claims with the session across a reload, fetches them again
 * at the next login, and forgets them at logout. `offline_access` with `prompt=consent` still
 * brings a refresh token (OpenID Connect Core §11).
 */
import { redirectLogin } from '../fixtures/demo-flows.ts'
import {
  alice,
  type Demo,
  expect,
  expectNoSession,
  expectSignedInAsAlice,
  openDemo,
  test,
} from '../fixtures/demo.ts'

/** The userinfo calls that reached the provider (not their CORS preflights). */
async function userinfoCalls(demo: Demo) {
  const requests = await demo.control.requests({ endpoint: 'userinfo' })
  return requests.filter((r) => r.method !== 'OPTIONS')
}

test.describe('demo SPA: userinfo', () => {
  test('the name comes from userinfo, once per login; the ID token has none', async ({
    page,
    demo,
  }) => {
    await openDemo(page, demo)
    await redirectLogin(page, demo) // checks the user-name is alice's name
    await expect(page.getByTestId('id-token-claims')).not.toContainText(String(alice.claims.name))
    await expect(page.getByTestId('user-claims').locator('[data-claim="email"]')).toContainText(
      String(alice.claims.email),
    )
    expect((await userinfoCalls(demo)).map((r) => r.status)).toEqual([200])
    // The SpaClient's core: one discovery per page load (the page that started the login, the
    // callback page), none of userinfo's own.
    expect(await demo.control.requests({ endpoint: 'discovery' })).toHaveLength(2)

    // prompt=consent with offline_access: the session has a refresh token.
    const hasRefreshToken = await page.evaluate(
      async () => (await window.openrpDemo!.spa.getTokenSet())?.refreshToken !== undefined,
    )
    expect(hasRefreshToken).toBe(true)

    // Kept with the session: a reload shows the name without asking again.
    await page.reload()
    await expectSignedInAsAlice(page)
    expect(await userinfoCalls(demo)).toHaveLength(1)
  })

  test('spa.userinfo() in the page: sub-checked claims; claims of another user refused', async ({
    page,
    demo,
  }) => {
    await openDemo(page, demo)
    await redirectLogin(page, demo)
    const claims = await page.evaluate(() => window.openrpDemo!.spa.userinfo())
    expect(claims).toMatchObject({ sub: alice.sub, name: alice.claims.name })

    await demo.control.setFaults({ userinfo: { sub: 'someone-else' } })
    const refused = await page.evaluate(() =>
      window.openrpDemo!.spa.userinfo().then(
        () => 'accepted',
        (error: { code?: string }) => error.code,
      ),
    )
    expect(refused).toBe('USERINFO_SUB_MISMATCH')
    await page.reload()
    await expectSignedInAsAlice(page)
  })

  test('logout forgets the claims; the next login fetches them again', async ({ page, demo }) => {
    await openDemo(page, demo)
    await redirectLogin(page, demo)
    await page.evaluate(() => window.openrpDemo!.spa.logout({ localOnly: true }))
    await page.reload()
    await expectNoSession(page)
    expect(await page.evaluate(() => window.openrpDemo!.spa.getUser())).toBeUndefined()
    // Still signed in at the provider: prompt=consent shows the consent page, no login form.
    await page.getByTestId('login-redirect').click()
    await page.waitForURL((url) => url.origin === demo.issuer && url.pathname === '/consent')
    await page.locator('form[data-openrp="consent"] button[value="approve"]').click()
    await expectSignedInAsAlice(page)
    expect(await userinfoCalls(demo)).toHaveLength(2)
  })
})
