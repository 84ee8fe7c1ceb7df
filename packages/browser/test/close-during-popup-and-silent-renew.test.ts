/**
 * Regression: close() left a popup login or a silent renewal that was still waiting running:
 * the popup stayed open, its closed check kept firing every 500 ms and its `message` listener
 * and BroadcastChannel stayed, up to the 5-minute timeout; a renewal's hidden iframe stayed in
 * the page until its own timeout. Both now end with ABORTED and clean up at close().
 */
import { isOpenRpError, withHybridAndImplicit } from '@openrp/core'
import { CookieJar, completeLogin } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { useSpaServer } from './spa-server.ts'

const rp = useSpaServer()

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (error) {
    return isOpenRpError(error) ? error.code : `not an OpenRpError: ${String(error)}`
  }
  return undefined
}

describe('close()', () => {
  it('ends a popup login that is waiting: ABORTED, popup closed, no timer or listener left', async () => {
    const clock = new ManualClock(Date.now())
    const { spa, navigator } = rp.setup({ clock })
    const login = codeOf(spa.loginWithPopup())
    await navigator.popupNavigated()
    spa.close()
    expect(await login).toBe('ABORTED')
    expect(navigator.popup!.closed).toBe(true)
    expect(navigator.listeners.size).toBe(0)
    expect(clock.pendingTimers).toBe(0)
    // Its transaction is gone too.
    expect([...navigator.sessionStorage.items.keys()]).toEqual([])
  })

  it('a popup login asked for after close() is ABORTED without opening a window', async () => {
    const { spa, navigator } = rp.setup()
    spa.close()
    expect(await codeOf(spa.loginWithPopup())).toBe('ABORTED')
    expect(navigator.popup).toBeUndefined()
  })

  it('ends a silent renewal that is waiting: ABORTED, iframe removed, session kept', async () => {
    const jar = new CookieJar()
    const { spa, navigator } = rp.setup({
      clientId: 'legacy-spa',
      hybridAndImplicit: withHybridAndImplicit,
    })
    await spa.loginWithRedirect({ responseType: 'id_token token' })
    navigator.url = (await completeLogin(navigator.assigned.at(-1)!, { cookieJar: jar })).url.href
    const { tokenSet } = await spa.handleRedirectCallback()
    const renewal = codeOf(spa.refresh())
    const frame = await navigator.frameCreated()
    spa.close()
    expect(await renewal).toBe('ABORTED')
    expect(frame.removed).toBe(true)
    expect(navigator.listeners.size).toBe(0)
    // Closing the client is not the end of the session.
    expect((await spa.getTokenSet())?.accessToken).toBe(tokenSet?.accessToken)
    // A renewal asked for after close() makes no iframe.
    expect(await codeOf(spa.refresh())).toBe('ABORTED')
    expect(navigator.frames).toHaveLength(1)
  })
})
