/**
 * A login's tokens are offered to a failing store again. The code is spent once the exchange
 * answered, so a store write that fails (an IndexedDB transaction aborted, a connection lost)
 * must not lose them at the first try: handleRedirectCallback() tries again with backoff on the
 * client's clock (0.25, 0.5, 1, 2 s), five times in all, and only then says STORE_ERROR.
 * Before, the first failure lost the tokens and the user had to log in again.
 *
 * A logout during those pauses (in this tab or another), or close(), wins: before, the next
 * try wrote the session back after the user had signed out. The login's tokens are revoked.
 */
import {
  InProcessLock,
  isOpenRpError,
  MemoryStore,
  StoreError,
  type StoreSetOptions,
  type TokenSetJSON,
} from '@openrp/core'
import { completeLogin } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { nextEvent, useSpaServer } from './spa-server.ts'

const rp = useSpaServer()

/**
 * A MemoryStore whose next `failures` writes of the session (under `key`, default the setup's)
 * fail with STORE_ERROR; `offered` is the last set offered.
 */
class FailingWrites extends MemoryStore {
  failures = 0
  attempts = 0
  offered: TokenSetJSON | undefined
  #failed: (() => void) | undefined

  constructor(readonly key = rp.key) {
    super()
  }

  override async set(key: string, value: unknown, options?: StoreSetOptions): Promise<void> {
    if (key === this.key) {
      this.attempts++
      this.offered = value as TokenSetJSON
      if (this.failures > 0) {
        this.failures--
        this.#failed?.()
        throw new StoreError('the write failed')
      }
    }
    return super.set(key, value, options)
  }

  /** Resolves at the next failed write of the session. */
  nextFailure(): Promise<void> {
    return new Promise((resolve) => {
      this.#failed = resolve
    })
  }
}

async function callbackUrl(
  spa: ReturnType<typeof rp.setup>['spa'],
  navigator: ReturnType<typeof rp.setup>['navigator'],
): Promise<void> {
  await spa.loginWithRedirect()
  navigator.url = (await completeLogin(navigator.assigned.at(-1)!)).url.toString()
}

describe('a store write that fails after the code exchange', () => {
  it('is tried again with backoff, and the login goes through', async () => {
    const clock = new ManualClock(Date.now())
    const store = new FailingWrites()
    const { spa, navigator } = rp.setup({ clock, store })
    await callbackUrl(spa, navigator)
    store.failures = 2
    const signedIn = nextEvent(spa, 'login')
    const failed = store.nextFailure()
    const callback = spa.handleRedirectCallback()
    await failed
    const second = store.nextFailure()
    await clock.advance(250)
    await second
    await clock.advance(500)
    const { tokenSet } = await callback
    expect((await signedIn).tokenSet?.accessToken).toBe(tokenSet?.accessToken)
    expect(store.attempts).toBe(3)
    expect(((await store.get(rp.key)) as TokenSetJSON).accessToken).toBe(tokenSet?.accessToken)
    expect(await spa.isAuthenticated()).toBe(true)
  })

  it('says STORE_ERROR after five attempts, and nobody is signed in', async () => {
    const clock = new ManualClock(Date.now())
    const store = new FailingWrites()
    const { spa, navigator } = rp.setup({ clock, store })
    await callbackUrl(spa, navigator)
    store.failures = Number.POSITIVE_INFINITY
    let logins = 0
    spa.on('login', () => logins++)
    let failed = store.nextFailure()
    const callback = spa.handleRedirectCallback().catch((error: unknown) => error)
    for (const pause of [250, 500, 1_000, 2_000]) {
      await failed
      failed = store.nextFailure()
      await clock.advance(pause)
    }
    expect(isOpenRpError(await callback, 'STORE_ERROR')).toBe(true)
    expect(store.attempts).toBe(5)
    expect(logins).toBe(0)
    expect(await spa.isAuthenticated()).toBe(false)
  })
})

/** Whether the provider still takes the tokens of `set`: its refresh token, its access token. */
async function stillValid(set: TokenSetJSON): Promise<{ refresh: boolean; access: boolean }> {
  const token = await fetch(`${rp.server.issuer}/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: set.refreshToken!,
      client_id: 'spa',
    }),
  })
  const api = await fetch(`${rp.server.issuer}/api/me`, {
    headers: { authorization: `Bearer ${set.accessToken}` },
  })
  return { refresh: token.ok, access: api.ok }
}

describe('a logout while the tokens of a login wait for the store', () => {
  it('wins over the login: nothing is stored, the login fails, its tokens are revoked', async () => {
    const clock = new ManualClock(Date.now())
    const store = new FailingWrites()
    const { spa, navigator } = rp.setup({ clock, store })
    await callbackUrl(spa, navigator)
    store.failures = 1
    let logins = 0
    spa.on('login', () => logins++)
    const failed = store.nextFailure()
    const callback = spa.handleRedirectCallback().catch((error: unknown) => error)
    await failed
    await spa.logout({ localOnly: true })
    await clock.advance(250)
    expect(isOpenRpError(await callback, 'LOGIN_REQUIRED')).toBe(true)
    expect(store.attempts).toBe(1)
    expect(await store.get(rp.key)).toBeUndefined()
    expect(await spa.isAuthenticated()).toBe(false)
    expect(logins).toBe(0)
    expect(await stillValid(store.offered!)).toEqual({ refresh: false, access: false })
  })

  it('heard from another tab wins too', async () => {
    const clock = new ManualClock(Date.now())
    // Its own key: the tabs talk over a BroadcastChannel named after it.
    const storageKey = 'openrp:logout-during-store-retries'
    const store = new FailingWrites(storageKey)
    const lock = new InProcessLock()
    const { spa, navigator } = rp.setup({ clock, store, lock, storageKey })
    const other = rp.setup({ clock, store, lock, storageKey })
    await callbackUrl(spa, navigator)
    store.failures = 1
    const heard = nextEvent(spa, 'logout')
    const failed = store.nextFailure()
    const callback = spa.handleRedirectCallback().catch((error: unknown) => error)
    await failed
    await other.spa.logout({ localOnly: true })
    await heard
    await clock.advance(250)
    expect(isOpenRpError(await callback, 'LOGIN_REQUIRED')).toBe(true)
    expect(store.attempts).toBe(1)
    expect(await store.get(storageKey)).toBeUndefined()
    expect(await other.spa.isAuthenticated()).toBe(false)
    expect(await stillValid(store.offered!)).toEqual({ refresh: false, access: false })
  })

  it('close() meanwhile ends the login with ABORTED; its tokens are revoked, not stored', async () => {
    const clock = new ManualClock(Date.now())
    const store = new FailingWrites()
    const { spa, navigator } = rp.setup({ clock, store })
    await callbackUrl(spa, navigator)
    store.failures = 1
    const failed = store.nextFailure()
    const callback = spa.handleRedirectCallback().catch((error: unknown) => error)
    await failed
    spa.close()
    await clock.advance(250)
    expect(isOpenRpError(await callback, 'ABORTED')).toBe(true)
    expect(store.attempts).toBe(1)
    expect(await store.get(rp.key)).toBeUndefined()
    expect(await stillValid(store.offered!)).toEqual({ refresh: false, access: false })
  })
})
