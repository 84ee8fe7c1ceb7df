import { type Client, discover, isOpenRpError } from '@openrp/core'
import {
  type CompleteLoginOptions,
  completeLogin,
  DEMO_USERS,
  type ReferenceServer,
  startReferenceServer,
} from '@openrp/reference-server'
import { fixedKeyPairs, ManualClock } from '@openrp/testkit'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loopbackLogin } from '../src/loopback-login.ts'
import { capture } from './helpers/capture.ts'

let server: ReferenceServer
let client: Client
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
  client = await discover(server.issuer, { clientId: 'cli', scope: 'openid profile' })
})
afterAll(() => server.close())
beforeEach(() => server.control.resetFaults())

interface BrowserVisit {
  authorizationUrl: URL
  callbackUrl: URL
  status: number
  page: string
}

/**
 * Stands in for the system browser: signs in through the reference server's real login and
 * consent pages, then follows the redirect to the loopback listener, as a browser would.
 */
function browser(options: CompleteLoginOptions = {}) {
  let visit: Promise<BrowserVisit> | undefined
  return {
    open(url: URL) {
      visit = (async () => {
        const { url: callbackUrl } = await completeLogin(url, options)
        const res = await fetch(callbackUrl)
        return { authorizationUrl: url, callbackUrl, status: res.status, page: await res.text() }
      })()
      return true
    },
    get visit(): Promise<BrowserVisit> {
      if (!visit) throw new Error('the browser was never opened')
      return visit
    },
  }
}

async function reachable(url: URL): Promise<boolean> {
  try {
    await fetch(url)
    return true
  } catch {
    return false
  }
}

describe('loopbackLogin against the reference server', () => {
  it('signs in through the browser with PKCE on a loopback redirect, and shows a success page', async () => {
    const b = browser()
    const output = capture()
    const tokens = await loopbackLogin(client, { openBrowser: (url) => b.open(url), output })
    const visit = await b.visit
    const { searchParams } = visit.authorizationUrl
    expect(searchParams.get('code_challenge_method')).toBe('S256')
    expect(searchParams.get('code_challenge')).toBeTruthy()
    const redirect = new URL(searchParams.get('redirect_uri') as string)
    expect(redirect.hostname).toBe('127.0.0.1')
    expect(Number(redirect.port)).toBeGreaterThan(0)
    expect(redirect.pathname).toBe('/callback')
    expect(visit.callbackUrl.origin).toBe(redirect.origin)
    expect(visit.status).toBe(200)
    expect(visit.page).toContain('signed in')
    expect(tokens.claims()?.sub).toBe(DEMO_USERS[0]?.sub)
    expect(output.text).toContain(visit.authorizationUrl.href)
    expect(output.text).toContain('Signed in.')
    // The page must not echo the code, and the listener is gone.
    expect(visit.page).not.toContain(visit.callbackUrl.searchParams.get('code') as string)
    expect(await reachable(redirect)).toBe(false)
  })

  it('prints the URL when no browser can be opened', async () => {
    const printed = capture()
    const controller = new AbortController()
    // The user gives up once the address is printed.
    const output = {
      ...printed,
      write(text: string) {
        printed.write(text)
        if (text.includes('/authorize?')) controller.abort()
        return true
      },
    }
    const done = loopbackLogin(client, {
      openBrowser: false,
      output,
      signal: controller.signal,
    })
    const error = await done.catch((e) => e)
    expect(isOpenRpError(error, 'ABORTED')).toBe(true)
    expect(printed.text).toMatch(
      /Open this address in a browser to sign in:\n\n {2}http:\/\/127\.0\.0\.1:\d+\/authorize\?/,
    )
  })

  it('ends with ACCESS_DENIED when the user denies consent, and says so in the browser', async () => {
    const b = browser({ deny: true })
    const error = await loopbackLogin(client, {
      // alice consented in an earlier test: ask again so she can deny.
      prompt: 'consent',
      openBrowser: (url) => b.open(url),
      output: null,
    }).catch((e) => e)
    expect(isOpenRpError(error, 'ACCESS_DENIED')).toBe(true)
    const visit = await b.visit
    expect(visit.status).toBe(400)
    expect(visit.page).toContain('declined')
  })

  it('refuses a response with the wrong state and times out cleanly, on the client clock', async () => {
    server.control.setFaults({ authorizationResponse: { state: 'wrong' } })
    const clock = new ManualClock(Date.now())
    const timed = await discover(server.issuer, { clientId: 'cli', scope: 'openid profile', clock })
    const b = browser()
    let redirect: URL | undefined
    let opened!: () => void
    const browserOpened = new Promise<void>((resolve) => {
      opened = resolve
    })
    const outcome = loopbackLogin(timed, {
      openBrowser: (url) => {
        redirect = new URL(url.searchParams.get('redirect_uri') as string)
        opened()
        return b.open(url)
      },
      output: null,
      timeoutMs: 120_000,
    }).catch((e) => e)
    await browserOpened
    const visit = await b.visit
    // Refused, and the wait goes on until timeoutMs has passed on the client's clock.
    await clock.advance(119_999)
    expect(await reachable(redirect as URL)).toBe(true)
    await clock.advance(1)
    const error = await outcome
    expect(isOpenRpError(error, 'TIMEOUT')).toBe(true)
    expect(visit.status).toBe(400)
    expect(visit.page).toContain('does not belong to the sign-in in progress')
    expect(await reachable(redirect as URL)).toBe(false)
  })

  it('refuses bad options before listening', async () => {
    await expect(loopbackLogin(client, { port: 70000, output: null })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })

  it('refuses a bad timeoutMs or an aborted signal without opening the browser', async () => {
    const opened: URL[] = []
    const options = { output: null, openBrowser: (url: URL) => opened.push(url) > 0 }
    for (const timeoutMs of [0, -1, Number.NaN]) {
      await expect(loopbackLogin(client, { ...options, timeoutMs })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
    }
    const signal = AbortSignal.abort()
    await expect(loopbackLogin(client, { ...options, signal })).rejects.toMatchObject({
      code: 'ABORTED',
    })
    expect(opened).toEqual([])
  })
})
