/**
 * The demo TV app (createDeviceLogin) in Chromium at 1920x1080, with a phone in another browser
 * context: the phone reads the QR code off the TV's screen, logs in and approves; reload,
 * denial, expiry, offline and keyboard-only runs; a screenshot of each screen is kept.
 */
import {
  approveOnPhone,
  devicePolls,
  expect,
  expectScreen,
  INTERVAL_SEC,
  keepScreenshot,
  RENEW_DELAY_MS,
  scanQrCode,
  shownCode,
  test,
} from '../fixtures/tv.ts'

const ALICE_NAME = 'Alice Liddell'

test.describe('TV device login', () => {
  // Two workers, each with its own TV demo and provider: the suite takes half the time.
  test.describe.configure({ mode: 'parallel' })

  test('the phone scans the QR code off the TV, approves, and the TV shows the user', async ({
    tv,
    tvPage,
    phone,
  }, testInfo) => {
    await tvPage.goto(tv.url)
    await expectScreen(tvPage, 'signin')
    const code = await shownCode(tvPage)
    await expect(tvPage.getByTestId('status')).toHaveAttribute('data-status', 'waiting')
    await expect(tvPage.getByTestId('countdown')).toHaveText(/^[0-9]:[0-5][0-9]$/)
    await keepScreenshot(tvPage, testInfo, 'tv-signin-1920x1080')

    const scanned = await scanQrCode(tvPage, { fullScreen: true })
    const url = new URL(scanned)
    expect(url.origin).toBe(tv.issuer)
    expect(url.pathname).toBe('/device')
    expect(url.searchParams.get('user_code')).toBe(code)

    await approveOnPhone(phone, scanned, 'approve', async () => {
      await expect(phone.locator('[data-openrp="user-code"]')).toHaveText(code)
      await keepScreenshot(phone, testInfo, 'phone-confirm')
    })
    await keepScreenshot(phone, testInfo, 'phone-approved')
    const approvedAt = Date.now()

    // Within one polling interval (plus the userinfo call that fills the name in).
    await expect(tvPage.getByTestId('user-name')).toHaveText(ALICE_NAME, {
      timeout: INTERVAL_SEC * 1000 + 2_000,
    })
    expect(Date.now() - approvedAt).toBeLessThan(INTERVAL_SEC * 1000 + 2_000)
    await expectScreen(tvPage, 'home')
    await expect(tvPage.getByTestId('api-result')).toHaveAttribute('data-status', '200')
    await expect(tvPage.getByTestId('api-result')).toContainText('client_id')
    await keepScreenshot(tvPage, testInfo, 'tv-home-1920x1080')
    const userinfo = await tv.control.requests({ endpoint: 'userinfo' })
    expect(userinfo.length).toBeGreaterThan(0)
  })

  test('a reload mid-flow shows the same code and keeps polling it', async ({
    tv,
    tvPage,
    phone,
  }) => {
    await tvPage.goto(tv.url)
    const code = await shownCode(tvPage)
    await tvPage.reload()
    expect(await shownCode(tvPage)).toBe(code)
    await expect(tvPage.getByTestId('status')).toHaveAttribute('data-status', 'waiting')
    const started = await tv.control.requests({ endpoint: 'device_authorization' })
    expect(started).toHaveLength(1)
    await approveOnPhone(phone, await scanQrCode(tvPage))
    await expect(tvPage.getByTestId('user-name')).toHaveText(ALICE_NAME)
  })

  test('a denial shows the declined screen, and trying again gives a new code', async ({
    tv,
    tvPage,
    phone,
  }, testInfo) => {
    await tvPage.goto(tv.url)
    const code = await shownCode(tvPage)
    await approveOnPhone(phone, await scanQrCode(tvPage), 'deny')
    await expectScreen(tvPage, 'denied', INTERVAL_SEC * 1000 + 2_000)
    await expect(tvPage.getByTestId('status')).toHaveAttribute('data-status', 'denied')
    await expect(tvPage.getByTestId('denied-retry')).toBeFocused()
    await keepScreenshot(tvPage, testInfo, 'tv-denied-1920x1080')
    await tvPage.keyboard.press('Enter')
    await expectScreen(tvPage, 'signin')
    expect(await shownCode(tvPage)).not.toBe(code)
  })

  test('an expired code shows the expired screen, then a new code by itself', async ({
    tv,
    tvPage,
  }, testInfo) => {
    // The provider says the code lives 6 s; the TV counts down and expires it.
    await tv.control.setFaults({ device: { expiresIn: 6 } })
    await tvPage.goto(tv.url)
    const code = await shownCode(tvPage)
    await tv.control.resetFaults()
    await expectScreen(tvPage, 'expired', 8_000)
    await expect(tvPage.getByTestId('status')).toHaveAttribute('data-status', 'expired')
    await keepScreenshot(tvPage, testInfo, 'tv-expired-1920x1080')
    await expectScreen(tvPage, 'signin', RENEW_DELAY_MS + 3_000)
    const next = await shownCode(tvPage)
    expect(next).not.toBe(code)
    expect(await tv.control.requests({ endpoint: 'device_authorization' })).toHaveLength(2)
  })

  test('offline pauses polling and online resumes it, never sooner than the interval', async ({
    tv,
    tvPage,
    phone,
  }, testInfo) => {
    // What the TV tries to send, seen from the browser (an offline browser fails requests before
    // they reach the server, so the server's log alone would not show a poll that was tried).
    const tried: number[] = []
    tvPage.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/token')
        tried.push(Date.now())
    })
    await tvPage.goto(tv.url)
    await shownCode(tvPage)
    await expect.poll(async () => (await devicePolls(tv)).length).toBeGreaterThanOrEqual(1)

    await tvPage.context().setOffline(true)
    const offlineAt = Date.now()
    await expect(tvPage.getByTestId('status')).toHaveAttribute('data-status', 'offline')
    await expect(tvPage.getByTestId('hint')).toContainText('offline')
    await keepScreenshot(tvPage, testInfo, 'tv-offline-1920x1080')
    // Two intervals and more without the network: no poll reaches the server (one already on
    // the wire when the network dropped may still land).
    await tvPage.waitForTimeout(2 * INTERVAL_SEC * 1000 + 500)
    const during = (await devicePolls(tv)).filter((t) => t > offlineAt + 500)
    expect(during).toEqual([])
    expect(tried.filter((t) => t > offlineAt + 500)).toEqual([])
    // Paused, not failing and backing off.
    await expect(tvPage.getByTestId('status')).toHaveAttribute('data-status', 'offline')

    const onlineAt = Date.now()
    await tvPage.context().setOffline(false)
    await expect(tvPage.getByTestId('status')).toHaveAttribute('data-status', 'waiting')
    await expect
      .poll(async () => (await devicePolls(tv)).filter((t) => t > onlineAt).length)
      .toBeGreaterThanOrEqual(2)
    const polls = await devicePolls(tv)
    const resumed = polls.filter((t) => t > onlineAt)
    // The first poll after coming back waits a whole interval, and so does every later one.
    expect(resumed[0]! - onlineAt).toBeGreaterThanOrEqual(INTERVAL_SEC * 1000 - 100)
    for (let i = 1; i < polls.length; i++)
      expect(polls[i]! - polls[i - 1]!).toBeGreaterThanOrEqual(INTERVAL_SEC * 1000 - 100)

    await approveOnPhone(phone, await scanQrCode(tvPage))
    await expect(tvPage.getByTestId('user-name')).toHaveText(ALICE_NAME)
  })

  test('the whole flow works with the keyboard (remote) alone', async ({
    tv,
    tvPage,
    phone,
  }, testInfo) => {
    await tvPage.goto(tv.url)
    const first = await shownCode(tvPage)
    // The only button on the sign-in screen has the focus; OK asks for a new code.
    await expect(tvPage.getByTestId('new-code')).toBeFocused()
    await tvPage.keyboard.press('ArrowDown')
    await expect(tvPage.getByTestId('new-code')).toBeFocused()
    await tvPage.keyboard.press('Enter')
    await expect(tvPage.getByTestId('user-code')).not.toHaveAttribute('data-code', first)
    const code = await shownCode(tvPage)

    await approveOnPhone(phone, await scanQrCode(tvPage))
    await expect(tvPage.getByTestId('user-name')).toHaveText(ALICE_NAME)
    await expect(tvPage.getByTestId('call-api')).toBeFocused()
    await expect(tvPage.getByTestId('api-result')).toHaveAttribute('data-status', '200')
    // (CORS preflights are logged too: count the GETs.)
    const apiCalls = async () =>
      (await tv.control.requests({ endpoint: 'api' })).filter((r) => r.method === 'GET').length
    expect(await apiCalls()).toBe(1)
    await tvPage.keyboard.press('Enter')
    await expect.poll(apiCalls).toBe(2)

    await tvPage.keyboard.press('ArrowRight')
    await expect(tvPage.getByTestId('sign-out')).toBeFocused()
    await tvPage.keyboard.press('ArrowLeft')
    await expect(tvPage.getByTestId('call-api')).toBeFocused()
    await tvPage.keyboard.press('ArrowRight')
    await tvPage.keyboard.press('Enter')
    await expectScreen(tvPage, 'signin')
    const next = await shownCode(tvPage)
    expect(next).not.toBe(code)
    expect((await tv.control.requests({ endpoint: 'revocation' })).length).toBeGreaterThan(0)
    await keepScreenshot(tvPage, testInfo, 'tv-signed-out-1920x1080')
  })

  for (const [width, height] of [
    [1280, 720],
    [1920, 1080],
  ] as const) {
    test(`at ${width}x${height} the code, QR code and buttons fit the title-safe area`, async ({
      tv,
      tvPage,
    }, testInfo) => {
      await tvPage.setViewportSize({ width, height })
      await tvPage.goto(tv.url)
      await shownCode(tvPage)
      const safe = {
        left: width * 0.05,
        top: height * 0.05,
        right: width * 0.95,
        bottom: height * 0.95,
      }
      for (const id of ['user-code', 'qr', 'new-code', 'countdown', 'status']) {
        const box = (await tvPage.getByTestId(id).boundingBox())!
        expect(box.x, id).toBeGreaterThanOrEqual(safe.left - 1)
        expect(box.y, id).toBeGreaterThanOrEqual(safe.top - 1)
        expect(box.x + box.width, id).toBeLessThanOrEqual(safe.right + 1)
        expect(box.y + box.height, id).toBeLessThanOrEqual(safe.bottom + 1)
      }
      // Large type: the code is at least 1/15 of the screen height.
      const codeBox = (await tvPage
        .locator('[data-testid="user-code"] .group')
        .first()
        .boundingBox())!
      expect(codeBox.height).toBeGreaterThanOrEqual(height / 15)
      // And the QR code scans at this size too.
      expect(new URL(await scanQrCode(tvPage)).pathname).toBe('/device')
      await keepScreenshot(tvPage, testInfo, `tv-signin-${width}x${height}`)
    })
  }
})
