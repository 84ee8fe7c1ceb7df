import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { expect, test } from '@playwright/test'
import { type DemoProcess, signIn, startDemo, stopDemo } from './node-demo.ts'

// The TV app (demo-node/src/tv.ts) as a child process; a Playwright browser plays the user's
// phone: it opens the verification URI, signs in on the reference server's real pages and
// approves or denies.

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
let server: ReferenceServer
let stateDir: string
let tv: DemoProcess | undefined

test.beforeAll(async () => {
  server = await startReferenceServer({ port: 0, deviceInterval: 1, enableControlEndpoint: true })
})
test.afterAll(() => server.close())
test.beforeEach(async () => {
  server.control.resetFaults()
  server.control.clearRequests()
  stateDir = await mkdtemp(join(tmpdir(), 'openrp-tv-'))
})
test.afterEach(async () => {
  await stopDemo(tv)
  tv = undefined
  await rm(stateDir, { recursive: true, force: true })
})

function startTv(issuer = server.issuer, extra: Record<string, string> = {}) {
  return startDemo('tv', { ISSUER: issuer, TV_STATE_DIR: stateDir, ...extra })
}

test('the user scans the code, signs in and approves: the TV shows their name', async ({
  page,
}) => {
  const svgFile = join(stateDir, 'qr.svg')
  tv = startTv(server.issuer, { QR_SVG_FILE: svgFile })
  const userCode = await tv.value('USER_CODE')
  const complete = await tv.value('VERIFICATION_URI_COMPLETE')
  await tv.waitFor(/Waiting for you to approve/)
  expect(complete).toBe(`${server.issuer}/device?user_code=${encodeURIComponent(userCode)}`)
  expect(tv.stdout()).toContain(`Go to    ${server.issuer}/device`)
  expect(tv.stdout()).toMatch(/[█▀▄]{20,}/)
  expect((await readFile(await tv.value('QR_SVG'), 'utf8')).startsWith('<svg')).toBe(true)

  await page.goto(complete)
  await signIn(page)
  await expect(page.getByRole('heading', { name: /Allow/ })).toBeVisible()
  await expect(page.getByText(userCode)).toBeVisible()
  await page.getByRole('button', { name: 'Allow' }).click()
  await expect(page.getByRole('heading', { name: 'Device connected' })).toBeVisible()

  expect(await tv.value('SIGNED_IN')).toBe('Alice Liddell')
  expect(await tv.exited).toBe(0)
  expect(tv.stdout()).toContain('Welcome, Alice Liddell!')
})

test('the user denies: the TV ends with ACCESS_DENIED, in plain words', async ({ page }) => {
  tv = startTv()
  await page.goto(await tv.value('VERIFICATION_URI_COMPLETE'))
  await signIn(page)
  await page.getByRole('button', { name: 'Deny' }).click()
  await expect(page.getByRole('heading', { name: 'Request denied' })).toBeVisible()
  expect(await tv.value('ERROR')).toBe('ACCESS_DENIED')
  expect(await tv.exited).toBe(1)
  expect(tv.stderr()).toContain('declined')
})

test('nobody approves in time: the TV ends with DEVICE_CODE_EXPIRED', async ({ page }) => {
  const short = await startReferenceServer({ port: 0, deviceInterval: 1, deviceCodeTtl: 4 })
  try {
    tv = startTv(short.issuer)
    const complete = await tv.value('VERIFICATION_URI_COMPLETE')
    const expiresAt = Date.parse(await tv.value('EXPIRES_AT'))
    expect(await tv.value('ERROR', 15_000)).toBe('DEVICE_CODE_EXPIRED')
    expect(await tv.exited).toBe(1)
    expect(tv.stderr()).toContain('expired')
    expect(tv.stdout()).toContain('The code expired before it was approved.')
    // The TV gave up no later than the code's expiry; past it, the code is dead at the provider.
    expect(Date.now()).toBeLessThan(expiresAt + 2000)
    await page.waitForTimeout(Math.max(0, expiresAt + 1500 - Date.now()))
    await page.goto(complete)
    await expect(page.getByRole('alert')).toContainText('Unknown or expired code')
  } finally {
    await short.close()
  }
})

test('slow_down: the TV polls less often, as often as the provider allows', async ({ page }) => {
  test.setTimeout(90_000)
  server.control.setFaults({ device: { slowDown: 2 } })
  tv = startTv()
  const userCode = await tv.value('USER_CODE')
  // Two slow_down answers: the interval goes 1 s -> 6 s -> 11 s, and the TV says so.
  await tv.waitFor(/slow down: now checking every 6 s/)
  await tv.waitFor(/slow down: now checking every 11 s/, 15_000)
  await page.goto(`${server.issuer}/device?user_code=${encodeURIComponent(userCode)}`)
  await signIn(page)
  await page.getByRole('button', { name: 'Allow' }).click()
  expect(await tv.value('SIGNED_IN', 20_000)).toBe('Alice Liddell')

  const polls = server.control
    .requests({ endpoint: 'token', grantType: DEVICE_GRANT })
    .filter((r) => r.userCode === userCode)
  expect(polls.map((r) => r.status)).toEqual([400, 400, 200])
  const [first, second, third] = polls.map((r) => r.time) as [number, number, number]
  const authorizedAt = server.control.requests({ endpoint: 'device_authorization' })[0]?.time ?? 0
  expect(first - authorizedAt).toBeGreaterThanOrEqual(1000 - 50)
  expect(second - first).toBeGreaterThanOrEqual(6000 - 50)
  expect(third - second).toBeGreaterThanOrEqual(11_000 - 50)
  expect(third - second).toBeLessThan(11_000 + 3000)
})

test('Ctrl-C cancels; started again, the TV resumes with the same code', async ({ page }) => {
  test.setTimeout(90_000)
  tv = startTv()
  const firstCode = await tv.value('USER_CODE')
  await tv.waitFor(/Waiting for you to approve/)
  tv.child.kill('SIGINT')
  expect(await tv.exited).toBe(130)
  expect(tv.stdout()).toContain('ERROR=ABORTED')
  expect(tv.stdout()).toContain('Sign-in cancelled.')

  tv = startTv()
  expect(await tv.value('USER_CODE')).toBe(firstCode)
  expect(await tv.value('RESUMED')).toBe('true')
  // The terminal prompt prints this after the RESUMED line: wait for it rather than race it.
  await tv.waitFor(/Continuing the sign-in started earlier\./)
  await page.goto(await tv.value('VERIFICATION_URI_COMPLETE'))
  await signIn(page)
  await page.getByRole('button', { name: 'Allow' }).click()
  expect(await tv.value('SIGNED_IN')).toBe('Alice Liddell')
  expect(server.control.requests({ endpoint: 'device_authorization' })).toHaveLength(1)
})

test('one command: without ISSUER the TV starts its own reference server', async ({ page }) => {
  tv = startDemo('tv', { TV_STATE_DIR: stateDir, DEVICE_INTERVAL: '1' })
  const issuer = await tv.value('ISSUER')
  expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  expect(issuer).not.toBe(server.issuer)
  const complete = await tv.value('VERIFICATION_URI_COMPLETE')
  expect(complete.startsWith(`${issuer}/device?user_code=`)).toBe(true)
  await page.goto(complete)
  await signIn(page)
  await page.getByRole('button', { name: 'Allow' }).click()
  expect(await tv.value('SIGNED_IN')).toBe('Alice Liddell')
  expect(await tv.exited).toBe(0)
})
