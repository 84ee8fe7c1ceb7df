/**
 * Popup login when the provider's `Cross-Origin-Opener-Policy` cuts the popup off from the app:
 * the callback page has no opener and answers on a BroadcastChannel named after the state; the
 * app, told `openerSevered`, does not take the "closed" popup for POPUP_CLOSED. (Real Chromium
 * with a COOP provider: e2e/tests/spa-popup-coop.spec.ts.)
 */
import { isOpenRpError } from '@openrp/core'
import { ManualClock } from '@openrp/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { CALLBACK_MESSAGE_TYPE, popupChannelName } from '../src/callback-message.ts'
import { handlePopupCallback } from '../src/callback.ts'
import { openLoginPopup, waitForPopupResponse } from '../src/popup.ts'
import { ScriptedNavigator } from './spa-fakes.ts'

const CALLBACK = 'http://127.0.0.1:4001/popup-callback.html'
const channels: BroadcastChannel[] = []
afterEach(() => {
  for (const channel of channels.splice(0)) channel.close()
})

function channel(state: string): BroadcastChannel {
  const opened = new BroadcastChannel(popupChannelName(state))
  channels.push(opened)
  return opened
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (error) {
    return isOpenRpError(error) ? error.code : String(error)
  }
  return 'resolved'
}

describe('popup cut off from its opener', () => {
  it('waits past the "closed" popup and takes its state\'s answer from the BroadcastChannel', async () => {
    const clock = new ManualClock()
    const nav = new ScriptedNavigator()
    const popup = openLoginPopup(nav)
    popup.state = 's1'
    popup.navigate('http://127.0.0.1:4000/authorize?state=s1')
    const response = waitForPopupResponse(
      nav,
      popup,
      { openerSevered: true, closedPollMs: 5, timeoutMs: 2000 },
      clock,
    )
    let settled = false
    void response.then(
      () => (settled = true),
      () => (settled = true),
    )
    nav.popup!.closed = true // what the app sees once COOP severed the popup
    // Well past a closed check and its grace: still waiting for the answer.
    await clock.advance(1_999)
    expect(settled).toBe(false)
    const popupPage = channel('s1')
    popupPage.postMessage({ type: CALLBACK_MESSAGE_TYPE, url: `${CALLBACK}?code=x&state=s2` })
    popupPage.postMessage({ type: 'other', url: `${CALLBACK}?code=y&state=s1` })
    popupPage.postMessage({ type: CALLBACK_MESSAGE_TYPE, url: `${CALLBACK}?code=c&state=s1` })
    expect(await response).toBe(`${CALLBACK}?code=c&state=s1`)
    expect(clock.pendingTimers).toBe(0)
  })

  it('a popup the user closes ends with POPUP_TIMEOUT, not a false POPUP_CLOSED', async () => {
    const clock = new ManualClock()
    const nav = new ScriptedNavigator()
    const popup = openLoginPopup(nav)
    popup.state = 's3'
    popup.navigate('http://127.0.0.1:4000/authorize?state=s3')
    const response = waitForPopupResponse(
      nav,
      popup,
      { openerSevered: true, closedPollMs: 5, timeoutMs: 60_000 },
      clock,
    )
    const outcome = codeOf(response)
    nav.popup!.closed = true
    await clock.advance(60_000)
    expect(await outcome).toBe('POPUP_TIMEOUT')
    expect(clock.pendingTimers).toBe(0)
  })
})

describe('handlePopupCallback without an opener', () => {
  function popupWindow(href: string) {
    const win = {
      opener: null,
      location: { href, origin: new URL(href).origin },
      closed: false,
      close() {
        win.closed = true
      },
    }
    return win
  }

  it("posts the response on the state's BroadcastChannel and closes", async () => {
    const app = channel('s4')
    const received = new Promise((resolve) => {
      app.onmessage = (event) => resolve(event.data)
    })
    const win = popupWindow(`${CALLBACK}?code=c&state=s4&iss=x`)
    expect(handlePopupCallback(win as unknown as Window)).toBe(true)
    expect(await received).toEqual({
      type: CALLBACK_MESSAGE_TYPE,
      url: `${CALLBACK}?code=c&state=s4&iss=x`,
    })
    expect(win.closed).toBe(true)
    // Opened directly, with no state to name a channel: it stays open to say so.
    const direct = popupWindow(CALLBACK)
    expect(handlePopupCallback(direct as unknown as Window)).toBe(false)
    expect(direct.closed).toBe(false)
  })
})
