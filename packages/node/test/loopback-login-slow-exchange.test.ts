import { discover, isOpenRpError } from '@openrp/core'
import { completeLogin, type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { fixedKeyPairs, ManualClock } from '@openrp/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loopbackLogin } from '../src/loopback-login.ts'
import { capture } from './helpers/capture.ts'

// The provider spends the code when the token request arrives: an exchange cut short at the
// client's timeoutMs (30 s by default) lost the login.

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterAll(() => server.close())
afterEach(() => server.control.resetFaults())

/** A login on a client whose clock the test moves, with the code exchange's answer held. */
async function slowLogin(signal?: AbortSignal) {
  const clock = new ManualClock(Date.now())
  const client = await discover(server.issuer, { clientId: 'cli', scope: 'openid profile', clock })
  const hold = server.control.hold({ endpoint: 'token', grantType: 'authorization_code' })
  const output = capture()
  let page: Promise<{ status: number; text: string }> | undefined
  let settled = false
  const outcome = loopbackLogin(client, {
    output,
    ...(signal && { signal }),
    openBrowser: (url) => {
      // The system browser: signs in on the provider's pages, then follows the redirect.
      page = completeLogin(url).then(async ({ url: callback }) => {
        const res = await fetch(callback)
        return { status: res.status, text: await res.text() }
      })
      return true
    },
  })
  outcome.then(
    () => (settled = true),
    () => (settled = true),
  )
  // The provider has issued the tokens; its answer waits.
  await hold.waitUntilHeld(1, { timeoutMs: 10_000 })
  return {
    clock,
    hold,
    output,
    outcome,
    page: () => page as Promise<{ status: number; text: string }>,
    settled: () => settled,
  }
}

describe('loopbackLogin when the token endpoint is slow to answer the code exchange', () => {
  it('waits past the client timeoutMs, says so on output, and signs in with the late answer', async () => {
    const login = await slowLogin()
    await login.clock.advance(9_999)
    expect(login.output.text).not.toContain('slow to answer')
    await login.clock.advance(1)
    expect(login.output.text).toContain('The provider is slow to answer')
    // Twice the client's timeoutMs: the exchange is still waiting.
    await login.clock.advance(50_000)
    expect(login.settled()).toBe(false)
    login.hold.release()
    const tokens = await login.outcome
    expect(tokens.accessToken).toBeTruthy()
    expect(login.output.text).toMatch(/slow to answer.*\n(.|\n)*Signed in\.\n$/)
    expect(await login.page()).toMatchObject({ status: 200 })
    expect((await login.page()).text).toContain('signed in')
    expect(server.control.requests({ grantType: 'authorization_code' })).toHaveLength(1)
  })

  it('gives up after 5 minutes of its own with TIMEOUT, and tells the browser', async () => {
    const login = await slowLogin()
    await login.clock.advance(299_999)
    expect(login.settled()).toBe(false)
    await login.clock.advance(1)
    const error = await login.outcome.catch((e: unknown) => e)
    expect(isOpenRpError(error, 'TIMEOUT')).toBe(true)
    const page = await login.page()
    expect(page.status).toBe(400)
    expect(page.text).toContain('(TIMEOUT)')
  })

  it('ends the waiting exchange with ABORTED when signal fires', async () => {
    const controller = new AbortController()
    const login = await slowLogin(controller.signal)
    await login.clock.advance(60_000)
    expect(login.settled()).toBe(false)
    controller.abort()
    const error = await login.outcome.catch((e: unknown) => e)
    expect(isOpenRpError(error, 'ABORTED')).toBe(true)
    expect((await login.page()).text).toContain('(ABORTED)')
  })
})
