/**
 * Regression: two loginWithPopup() calls at once shared one window (`openrp-login`), so the
 * second navigated the first's popup, and a reply was not matched to its flow by state.
 */
import { describe, expect, it } from 'vitest'
import { CALLBACK_MESSAGE_TYPE } from '../src/callback-message.ts'
import { openLoginPopup, waitForPopupResponse } from '../src/popup.ts'
import { ScriptedNavigator } from './spa-fakes.ts'

const OP = 'http://127.0.0.1:4000/authorize?client_id=spa&response_type=code'
const CALLBACK = 'http://127.0.0.1:4001/popup-callback.html'

function reply(url: string) {
  return { type: CALLBACK_MESSAGE_TYPE, url }
}

describe('concurrent popup logins', () => {
  it('opens a window of its own for each flow', () => {
    const nav = new ScriptedNavigator()
    openLoginPopup(nav)
    openLoginPopup(nav)
    expect(nav.popupNames).toHaveLength(2)
    expect(nav.popupNames[0]).not.toBe(nav.popupNames[1])
    for (const name of nav.popupNames) expect(name).toMatch(/^openrp-login-/)
  })

  it("ignores a reply carrying another flow's state, takes its own", async () => {
    const nav = new ScriptedNavigator()
    const popup = openLoginPopup(nav)
    popup.state = 'mine'
    popup.navigate(`${OP}&state=mine`)
    const response = waitForPopupResponse(nav, popup, { timeoutMs: 2000 })
    const origin = nav.origin()
    nav.post({ origin, source: popup.window, data: reply(`${CALLBACK}?code=c1&state=theirs`) })
    nav.post({ origin, source: popup.window, data: reply(`${CALLBACK}#code=c2&state=theirs`) })
    expect(popup.isClosed()).toBe(false)
    nav.post({ origin, source: popup.window, data: reply(`${CALLBACK}?code=c3&state=mine`) })
    expect(await response).toBe(`${CALLBACK}?code=c3&state=mine`)
    expect(popup.isClosed()).toBe(true)
    expect(nav.listeners.size).toBe(0)
  })

  it('two flows waiting together each get their own reply', async () => {
    const nav = new ScriptedNavigator()
    // One shared window, as when both were opened under one name: only state tells them apart.
    const a = openLoginPopup(nav)
    const b = openLoginPopup(nav)
    a.state = 'A'
    b.state = 'B'
    a.navigate(`${OP}&state=A`)
    b.navigate(`${OP}&state=B`)
    const shared = a.window
    const ra = waitForPopupResponse(
      nav,
      { ...a, window: shared, state: a.state },
      { timeoutMs: 2000 },
    )
    const rb = waitForPopupResponse(
      nav,
      { ...b, window: shared, state: b.state },
      { timeoutMs: 2000 },
    )
    const origin = nav.origin()
    nav.post({ origin, source: shared, data: reply(`${CALLBACK}?code=cb&state=B`) })
    nav.post({ origin, source: shared, data: reply(`${CALLBACK}?code=ca&state=A`) })
    expect(await ra).toBe(`${CALLBACK}?code=ca&state=A`)
    expect(await rb).toBe(`${CALLBACK}?code=cb&state=B`)
  })
})
