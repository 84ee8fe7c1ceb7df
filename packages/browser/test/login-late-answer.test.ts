/**
 * A login's code exchange is never abandoned once sent. The provider spends the code when the
 * request arrives, so its answer holds the only tokens this login will give: the caller of
 * handleRedirectCallback() / loginWithPopup() waits `timeoutMs` and gets TIMEOUT, the request
 * goes on, and a late answer still signs in (a `login` event, the session stored); a late
 * failure is an `error` event. Before, the timeout aborted the request and the tokens were lost.
 */
import { isOpenRpError, type OpenRpError, type TokenSetJSON } from '@openrp/core'
import { completeLogin } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { nextEvent, postCallback, useSpaServer } from './spa-server.ts'

const rp = useSpaServer({ enableControlEndpoint: true })

function outcomeOf(promise: Promise<unknown>): { value: unknown } {
  const outcome: { value: unknown } = { value: 'pending' }
  promise.then(
    (value) => {
      outcome.value = value
    },
    (error: unknown) => {
      outcome.value = error
    },
  )
  return outcome
}

function tokenRequests(): number {
  return rp.server.control.requests({ endpoint: 'token', grantType: 'authorization_code' }).length
}

describe('a code exchange that answers after timeoutMs', () => {
  it('gives the redirect callback TIMEOUT, then signs in with the late answer', async () => {
    const clock = new ManualClock(Date.now())
    const { spa, navigator, store } = rp.setup({ clock, timeoutMs: 1_000 })
    await spa.loginWithRedirect()
    navigator.url = (await completeLogin(navigator.assigned.at(-1)!)).url.toString()
    const hold = rp.server.control.hold({ endpoint: 'token', grantType: 'authorization_code' })
    let signedIn: ReturnType<typeof nextEvent<'login'>>
    try {
      signedIn = nextEvent(spa, 'login')
      const callback = outcomeOf(spa.handleRedirectCallback())
      await hold.waitUntilHeld()
      await clock.advance(999)
      expect(callback.value).toBe('pending')
      await clock.advance(1)
      await Promise.resolve()
      expect(isOpenRpError(callback.value, 'TIMEOUT')).toBe(true)
      expect(await store.get(rp.key)).toBeUndefined()
    } finally {
      hold.release()
    }
    const { tokenSet, source } = await signedIn
    expect(source).toBe('this-tab')
    const stored = (await store.get(rp.key)) as TokenSetJSON
    expect(stored.accessToken).toBe(tokenSet?.accessToken)
    expect(await spa.getAccessToken()).toBe(tokenSet?.accessToken)
    expect(tokenRequests()).toBe(1)
  })

  it('reports a late failure as an error event and stores nothing', async () => {
    const clock = new ManualClock(Date.now())
    const { spa, navigator, store } = rp.setup({ clock, timeoutMs: 1_000 })
    await spa.loginWithRedirect()
    navigator.url = (await completeLogin(navigator.assigned.at(-1)!)).url.toString()
    const hold = rp.server.control.hold({
      endpoint: 'token',
      grantType: 'authorization_code',
      stage: 'request',
    })
    const failed = nextEvent(spa, 'error')
    let logins = 0
    spa.on('login', () => logins++)
    try {
      const callback = spa.handleRedirectCallback().catch((error: unknown) => error)
      await hold.waitUntilHeld()
      await clock.advance(1_000)
      expect(isOpenRpError(await callback, 'TIMEOUT')).toBe(true)
      // The answer, when it comes, carries an ID token with another nonce.
      rp.server.control.setFaults({ idToken: { nonce: 'another' } })
    } finally {
      hold.release()
    }
    const error: OpenRpError = await failed
    expect(error.code).toBe('ID_TOKEN_NONCE_MISMATCH')
    expect(logins).toBe(0)
    expect(await store.get(rp.key)).toBeUndefined()
  })

  it('gives a popup login TIMEOUT, then signs in with the late answer', async () => {
    const clock = new ManualClock(Date.now())
    const { spa, navigator, store } = rp.setup({
      clock,
      timeoutMs: 1_000,
      popup: { closedPollMs: 20, timeoutMs: 600_000 },
    })
    const login = spa.loginWithPopup().catch((error: unknown) => error)
    await navigator.popupNavigated()
    const done = await completeLogin(navigator.popup!.url!)
    const hold = rp.server.control.hold({ endpoint: 'token', grantType: 'authorization_code' })
    let signedIn: ReturnType<typeof nextEvent<'login'>>
    try {
      signedIn = nextEvent(spa, 'login')
      postCallback(navigator, navigator.popup!.window, done.url.toString())
      await hold.waitUntilHeld()
      await clock.advance(1_000)
      expect(isOpenRpError(await login, 'TIMEOUT')).toBe(true)
    } finally {
      hold.release()
    }
    const { tokenSet } = await signedIn
    expect(((await store.get(rp.key)) as TokenSetJSON).accessToken).toBe(tokenSet?.accessToken)
    expect(tokenRequests()).toBe(1)
  })
})
