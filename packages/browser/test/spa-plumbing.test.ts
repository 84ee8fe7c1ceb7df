import { isOpenRpError } from '@openrp/core'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { CALLBACK_MESSAGE_TYPE } from '../src/callback-message.ts'
import { openLoginPopup, waitForPopupResponse } from '../src/popup.ts'
import { checkPostLogoutTarget, checkReturnTo } from '../src/return-to.ts'
import { runSilentRequest } from '../src/silent-renew.ts'
import { type LoginMode, TRANSACTION_TTL_MS, TransactionStore } from '../src/transaction-store.ts'
import {
  authorizationResponseParams,
  hasAuthorizationResponse,
  stripAuthorizationResponse,
} from '../src/url-cleanup.ts'
import { MemoryStorage, ScriptedNavigator } from './spa-fakes.ts'

function codeOf(error: unknown): string | undefined {
  return isOpenRpError(error) ? error.code : undefined
}

async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

/** Whether `promise` has settled yet; its outcome is still the caller's to await. */
function watch(promise: Promise<unknown>): { readonly settled: boolean } {
  const state = { settled: false }
  const done = () => {
    state.settled = true
  }
  promise.then(done, done)
  return state
}

describe('stripAuthorizationResponse', () => {
  it('removes code, state, iss and session_state from the query and keeps app parameters', () => {
    expect(
      stripAuthorizationResponse(
        'http://127.0.0.1:4001/app?code=abc&state=xyz&iss=http%3A%2F%2Fop&session_state=s&tab=2',
      ),
    ).toBe('http://127.0.0.1:4001/app?tab=2')
  })

  it('removes tokens from the fragment and drops the empty fragment', () => {
    expect(
      stripAuthorizationResponse(
        'http://127.0.0.1:4001/#id_token=a.b.c&access_token=t&token_type=Bearer&expires_in=60&state=s',
      ),
    ).toBe('http://127.0.0.1:4001/')
  })

  it('removes error responses and keeps a route fragment', () => {
    expect(
      stripAuthorizationResponse(
        'http://127.0.0.1:4001/?error=login_required&error_description=x&state=s#/settings',
      ),
    ).toBe('http://127.0.0.1:4001/#/settings')
  })
})

describe('authorizationResponseParams', () => {
  it('reads the fragment of implicit and hybrid responses and the query of code responses', () => {
    expect(
      authorizationResponseParams('http://a.test/#code=c&id_token=t&state=s').get('id_token'),
    ).toBe('t')
    expect(authorizationResponseParams('http://a.test/?code=c&state=s#/route').get('code')).toBe(
      'c',
    )
    expect(hasAuthorizationResponse('http://a.test/?tab=1#/route')).toBe(false)
    expect(hasAuthorizationResponse('http://a.test/?error=access_denied&state=s')).toBe(true)
  })
})

describe('TransactionStore', () => {
  const pending = { transaction: { state: 's1' }, mode: 'redirect' as const, createdAt: Date.now() }

  it('gives a pending login back once, then refuses the replayed state', () => {
    const store = new TransactionStore(new MemoryStorage(), 'spa')
    store.save('s1', pending)
    expect(store.take('s1').transaction).toEqual({ state: 's1' })
    expect(codeOf(rejectionSync(() => store.take('s1')))).toBe('STATE_MISMATCH')
  })

  it('refuses an unknown state, a missing state, and another mode', () => {
    const store = new TransactionStore(new MemoryStorage())
    expect(codeOf(rejectionSync(() => store.take('nope')))).toBe('STATE_MISMATCH')
    expect(codeOf(rejectionSync(() => store.take(null)))).toBe('STATE_MISSING')
    store.save('s2', { ...pending, mode: 'popup' })
    expect(codeOf(rejectionSync(() => store.take('s2', 'redirect')))).toBe('STATE_MISMATCH')
  })

  it('refuses an expired transaction', () => {
    const store = new TransactionStore(new MemoryStorage())
    store.save('old', { ...pending, createdAt: Date.now() - TRANSACTION_TTL_MS - 1000 })
    expect(codeOf(rejectionSync(() => store.take('old')))).toBe('STATE_MISMATCH')
  })

  it('keeps clients apart by namespace', () => {
    const storage = new MemoryStorage()
    new TransactionStore(storage, 'spa').save('s3', pending)
    expect(
      codeOf(rejectionSync(() => new TransactionStore(storage, 'legacy-spa').take('s3'))),
    ).toBe('STATE_MISMATCH')
  })

  it("leaves another issuer's pending login to it; one kept before issuers were named, to anyone", () => {
    const storage = new MemoryStorage()
    new TransactionStore(storage, 'spa', 'https://a.test/').save('s4', pending)
    const other = new TransactionStore(storage, 'spa', 'https://b.test/')
    expect(codeOf(rejectionSync(() => other.take('s4')))).toBe('STATE_MISMATCH')
    expect(new TransactionStore(storage, 'spa', 'https://a.test/').take('s4').mode).toBe('redirect')
    // As an earlier version kept it (no issuer): a login under way when the app was updated.
    storage.setItem('openrp.tx.spa.s5', JSON.stringify(pending))
    expect(other.take('s5').mode).toBe('redirect')
  })

  describe('removes pending logins past their lifetime', () => {
    const A = 'https://a.test/'
    const keys = (storage: MemoryStorage) =>
      [...storage.items.keys()].filter((key) => key.startsWith('openrp.tx.')).sort()
    const at = (clock: ManualClock, mode: LoginMode = 'redirect') => ({
      transaction: null,
      mode,
      createdAt: clock.now(),
    })

    it('when another is saved or taken; nothing within its lifetime, a popup login neither', async () => {
      const clock = new ManualClock()
      const storage = new MemoryStorage()
      const store = new TransactionStore(storage, 'spa', A, clock)
      store.save('abandoned', at(clock))
      await clock.advance(TRANSACTION_TTL_MS - 60_000)
      store.save('popup', at(clock, 'popup'))
      // At its very lifetime a login is still taken, so still kept.
      await clock.advance(60_000)
      store.save('next', at(clock))
      expect(keys(storage)).toEqual([
        'openrp.tx.spa.abandoned',
        'openrp.tx.spa.next',
        'openrp.tx.spa.popup',
      ])
      await clock.advance(1)
      store.save('last', at(clock))
      expect(keys(storage)).toEqual([
        'openrp.tx.spa.last',
        'openrp.tx.spa.next',
        'openrp.tx.spa.popup',
      ])

      // A take cleans up too: the popup login is past its lifetime now, `next` is not.
      await clock.advance(TRANSACTION_TTL_MS - 60_000)
      expect(store.take('last').mode).toBe('redirect')
      expect(keys(storage)).toEqual(['openrp.tx.spa.next'])
      expect(store.take('next', 'redirect').mode).toBe('redirect')
      // Nothing pending, nothing left: not even the index.
      expect([...storage.items.keys()]).toEqual([])
    })

    it("leaves another client's and another issuer's pending logins to them", async () => {
      const clock = new ManualClock()
      const storage = new MemoryStorage()
      const store = new TransactionStore(storage, 'spa', A, clock)
      const otherIssuer = new TransactionStore(storage, 'spa', 'https://b.test/', clock)
      const otherClient = new TransactionStore(storage, 'admin', A, clock)
      store.save('mine', at(clock))
      otherIssuer.save('tenant-b', at(clock))
      otherClient.save('admin', at(clock))
      await clock.advance(TRANSACTION_TTL_MS + 1)
      store.save('new', at(clock))
      expect(keys(storage)).toEqual([
        'openrp.tx.admin.admin',
        'openrp.tx.spa.new',
        'openrp.tx.spa.tenant-b',
      ])
      otherIssuer.discard('none')
      otherClient.save('admin-new', at(clock))
      expect(keys(storage)).toEqual(['openrp.tx.admin.admin-new', 'openrp.tx.spa.new'])
    })

    it('saves and takes when the index cannot be read or written, or is corrupt', async () => {
      const clock = new ManualClock()
      const storage = new MemoryStorage()
      const isIndex = (key: string) => !key.startsWith('openrp.tx.')
      const { getItem, setItem } = storage
      storage.getItem = (key) => {
        if (isIndex(key)) throw new DOMException('blocked', 'SecurityError')
        return getItem.call(storage, key)
      }
      storage.setItem = (key, value) => {
        if (isIndex(key)) throw new DOMException('full', 'QuotaExceededError')
        setItem.call(storage, key, value)
      }
      const store = new TransactionStore(storage, 'spa', A, clock)
      store.save('s', at(clock))
      expect(store.take('s').mode).toBe('redirect')

      // A corrupt index counts as empty: it removes nothing, and is replaced.
      const index = 'openrp.tx-index.spa@https://a.test/'
      storage.getItem = getItem
      storage.setItem = setItem
      for (const corrupt of ['not json', '{"kept":0}', '[["kept","0"]]', '[5]', '"kept"', 'null']) {
        storage.items.clear()
        storage.setItem('openrp.tx.spa.kept', JSON.stringify(at(clock)))
        storage.items.set(index, corrupt)
        await clock.advance(TRANSACTION_TTL_MS + 1)
        store.save('new', at(clock))
        expect(keys(storage), corrupt).toEqual(['openrp.tx.spa.kept', 'openrp.tx.spa.new'])
        expect(JSON.parse(storage.getItem(index)!), corrupt).toEqual([['new', clock.now()]])
      }
    })
  })

  it('reports a storage that refuses writes as STORE_ERROR', () => {
    const storage = new MemoryStorage()
    storage.setItem = () => {
      throw new DOMException('full', 'QuotaExceededError')
    }
    expect(codeOf(rejectionSync(() => new TransactionStore(storage).save('s', pending)))).toBe(
      'STORE_ERROR',
    )
  })
})

describe('return targets', () => {
  const origin = 'http://127.0.0.1:4001'

  it('keeps same-origin paths and refuses other origins', () => {
    expect(checkReturnTo('/orders?id=1#top', origin, undefined)).toBe('/orders?id=1#top')
    expect(
      codeOf(rejectionSync(() => checkReturnTo('https://evil.test/', origin, undefined))),
    ).toBe('REDIRECT_NOT_ALLOWED')
    expect(codeOf(rejectionSync(() => checkReturnTo('//evil.test/x', origin, undefined)))).toBe(
      'REDIRECT_NOT_ALLOWED',
    )
  })

  it('applies allowedReturnTo: exact paths and prefixes ending in /', () => {
    expect(checkReturnTo('/app/orders', origin, ['/app/'])).toBe('/app/orders')
    expect(checkReturnTo('/home', origin, ['/home'])).toBe('/home')
    expect(codeOf(rejectionSync(() => checkReturnTo('/admin', origin, ['/app/', '/home'])))).toBe(
      'REDIRECT_NOT_ALLOWED',
    )
  })

  it('accepts only registered post-logout targets', () => {
    expect(checkPostLogoutTarget(`${origin}/`, [`${origin}/`])).toBe(`${origin}/`)
    expect(
      codeOf(rejectionSync(() => checkPostLogoutTarget('https://evil.test/', [`${origin}/`]))),
    ).toBe('REDIRECT_NOT_ALLOWED')
  })
})

describe('popup', () => {
  it('gives POPUP_BLOCKED when the browser refuses the popup', () => {
    const nav = new ScriptedNavigator()
    nav.blockPopups = true
    expect(codeOf(rejectionSync(() => openLoginPopup(nav)))).toBe('POPUP_BLOCKED')
  })

  it('accepts the response only from its own origin and its own popup', async () => {
    const nav = new ScriptedNavigator()
    const popup = openLoginPopup(nav)
    const response = waitForPopupResponse(nav, popup, { timeoutMs: 2000 })
    const data = {
      type: CALLBACK_MESSAGE_TYPE,
      url: 'http://127.0.0.1:4001/popup-callback.html?code=c&state=s',
    }
    nav.post({ origin: 'http://evil.test', source: popup.window, data: { ...data, url: 'evil' } })
    nav.post({ origin: nav.origin(), source: {}, data: { ...data, url: 'other-window' } })
    nav.post({ origin: nav.origin(), source: popup.window, data })
    expect(await response).toBe(data.url)
    expect(popup.isClosed()).toBe(true)
    expect(nav.listeners.size).toBe(0)
  })

  it('gives POPUP_CLOSED when the user closes the popup, after a grace for its last message', async () => {
    const clock = new ManualClock()
    const nav = new ScriptedNavigator()
    const popup = openLoginPopup(nav)
    const response = waitForPopupResponse(
      nav,
      popup,
      { timeoutMs: 60_000, closedPollMs: 1000 },
      clock,
    )
    const state = watch(response)
    popup.close()
    // Seen closed at the next check (1 s), then 200 ms for a message still on its way.
    await clock.advance(1000 + 199)
    expect(state.settled).toBe(false)
    await clock.advance(1)
    expect(state.settled).toBe(true)
    expect(codeOf(await rejection(response))).toBe('POPUP_CLOSED')
    expect(nav.listeners.size).toBe(0)
    expect(clock.pendingTimers).toBe(0)
  })

  it('gives POPUP_TIMEOUT and closes the popup when nothing answers', async () => {
    const clock = new ManualClock()
    const nav = new ScriptedNavigator()
    const popup = openLoginPopup(nav)
    const response = waitForPopupResponse(nav, popup, { timeoutMs: 10_000 }, clock)
    const state = watch(response)
    await clock.advance(9_999)
    expect(state.settled).toBe(false)
    expect(popup.isClosed()).toBe(false)
    await clock.advance(1)
    expect(codeOf(await rejection(response))).toBe('POPUP_TIMEOUT')
    expect(popup.isClosed()).toBe(true)
    expect(clock.pendingTimers).toBe(0)
  })
})

describe('silent request', () => {
  it('resolves with the frame response and removes the frame', async () => {
    const nav = new ScriptedNavigator()
    const result = runSilentRequest(nav, 'http://127.0.0.1:4000/authorize?prompt=none', {
      timeoutMs: 2000,
    })
    const frame = nav.frames[0]!
    const url = 'http://127.0.0.1:4001/silent-callback.html?error=login_required&state=s'
    nav.post({
      origin: 'http://evil.test',
      source: frame.window,
      data: { type: CALLBACK_MESSAGE_TYPE, url: 'x' },
    })
    nav.post({
      origin: nav.origin(),
      source: frame.window,
      data: { type: CALLBACK_MESSAGE_TYPE, url },
    })
    expect(await result).toBe(url)
    expect(frame.removed).toBe(true)
  })

  it('gives SILENT_RENEW_TIMEOUT and removes the frame when nothing answers', async () => {
    const clock = new ManualClock()
    const nav = new ScriptedNavigator()
    const result = runSilentRequest(
      nav,
      'http://127.0.0.1:4000/authorize',
      { timeoutMs: 10_000 },
      clock,
    )
    const state = watch(result)
    await clock.advance(9_999)
    expect(state.settled).toBe(false)
    expect(nav.frames[0]!.removed).toBe(false)
    await clock.advance(1)
    expect(codeOf(await rejection(result))).toBe('SILENT_RENEW_TIMEOUT')
    expect(nav.frames[0]!.removed).toBe(true)
    expect(clock.pendingTimers).toBe(0)
  })
})

function rejectionSync(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}
