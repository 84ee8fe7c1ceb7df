/**
 * Regression: spa.userinfo() read the access token, then the stored set, and refused with
 * LOGIN_REQUIRED ("nobody is signed in") when another tab had renewed the tokens in between,
 * although the user was signed in all along. It now uses the session's set as stored, and says
 * LOGIN_REQUIRED only when the session is gone.
 */
import { MemoryStore } from '@openrp/core'
import { completeLogin, DEMO_USERS } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { spaUserinfo } from '../src/spa-userinfo.ts'
import { useSpaServer } from './spa-server.ts'

const rp = useSpaServer()

/** A shared MemoryStore that runs `afterGet` once, after the next `get` read its value. */
class HookedStore extends MemoryStore {
  afterGet: (() => Promise<void>) | undefined
  override async get<T = unknown>(key: string): Promise<T | undefined> {
    const value = await super.get<T>(key)
    const after = this.afterGet
    this.afterGet = undefined
    await after?.()
    return value
  }
}

describe('spa.userinfo() while another tab renews', () => {
  it('fetches the claims with the renewed tokens', async () => {
    const store = new HookedStore()
    const tab = rp.setup({ store, userinfo: spaUserinfo })
    const other = rp.setup({ store, userinfo: spaUserinfo })
    await tab.spa.loginWithRedirect()
    tab.navigator.url = (await completeLogin(tab.navigator.assigned.at(-1)!)).url.toString()
    await tab.spa.handleRedirectCallback()
    const before = (await tab.spa.getTokenSet())?.accessToken

    // Right after this tab read its access token, the other tab renews.
    store.afterGet = async () => {
      await other.spa.refresh()
    }
    const claims = await tab.spa.userinfo()
    expect(claims.sub).toBe(DEMO_USERS[0]!.sub)
    expect((await tab.spa.getTokenSet())?.accessToken).not.toBe(before)
  })
})
