import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { expect, test } from '@playwright/test'
import { type DemoProcess, signIn, startDemo, stopDemo } from './node-demo.ts'

// The CLI login (demo-node/src/cli-login.ts) as a child process; Chromium opens the printed
// authorization URL, signs in on the reference server's pages and lands on the CLI's loopback
// listener.

let server: ReferenceServer
let cli: DemoProcess | undefined
test.beforeAll(async () => {
  server = await startReferenceServer({ port: 0 })
})
test.afterAll(() => server.close())
test.afterEach(async () => {
  await stopDemo(cli)
  cli = undefined
})

test('signs in through the browser and the loopback listener; the CLI prints the user', async ({
  page,
}) => {
  cli = startDemo('cli-login', { ISSUER: server.issuer })
  const url = new URL(await cli.value('AUTHORIZATION_URL'))
  const redirect = new URL(url.searchParams.get('redirect_uri') as string)
  expect(redirect.hostname).toBe('127.0.0.1')
  expect(url.searchParams.get('code_challenge_method')).toBe('S256')

  await page.goto(url.href)
  await signIn(page)
  await page.getByRole('button', { name: 'Allow' }).click()
  await expect(page.getByRole('heading', { name: 'Signed in' })).toBeVisible()
  expect(new URL(page.url()).origin).toBe(redirect.origin)
  expect(new URL(page.url()).pathname).toBe('/callback')

  expect(await cli.value('SIGNED_IN')).toBe('Alice Liddell')
  expect(await cli.exited).toBe(0)
  // The listener is gone once the login is over.
  const gone = await page.request.get(redirect.href).catch((e: Error) => e)
  expect(gone instanceof Error).toBe(true)
})

test('denied consent ends the CLI with ACCESS_DENIED and tells the browser', async ({ page }) => {
  // prompt=consent: the consent page shows even if alice consented in an earlier test.
  cli = startDemo('cli-login', { ISSUER: server.issuer, PROMPT: 'consent' })
  await page.goto(await cli.value('AUTHORIZATION_URL'))
  await signIn(page)
  await page.getByRole('button', { name: 'Deny' }).click()
  await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible()
  await expect(page.getByText('declined')).toBeVisible()
  expect(await cli.value('ERROR')).toBe('ACCESS_DENIED')
  expect(await cli.exited).toBe(1)
})

test('gives up after its timeout, closing the listener', async () => {
  cli = startDemo('cli-login', { ISSUER: server.issuer, LOGIN_TIMEOUT: '2' })
  await cli.value('AUTHORIZATION_URL')
  expect(await cli.value('ERROR', 15_000)).toBe('TIMEOUT')
  expect(await cli.exited).toBe(1)
})
