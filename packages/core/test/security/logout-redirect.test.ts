/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the conformance suite's
 * `oidcc-client-test-rp-init-logout-no-state` and `-other-state` cases. The provider's
 * post-logout redirect is only trusted when it carries the state this RP sent.
 */
import { describe, expect, it } from 'vitest'
import { validateEndSessionResponse } from '../../src/index.ts'
import { TransactionStore } from '../../../browser/src/transaction-store.ts'
import { authorize, refused, session, useProvider } from './harness.ts'

const p = useProvider()
const POST_LOGOUT = 'http://127.0.0.1:4001/'

/** Signs in, asks the reference server to end the session, returns where it redirects to. */
async function logout(state: string): Promise<URL> {
  const client = await p.legacy({ postLogoutRedirectUri: POST_LOGOUT })
  const tokens = await session(client).callback(await authorize(p, client))
  const url = client.endSessionUrl({ idTokenHint: tokens, state })
  const res = await fetch(url, { redirect: 'manual' })
  expect(res.status).toBe(303)
  return new URL(res.headers.get('location')!)
}

describe('oidcc-client-test-rp-init-logout', () => {
  it('trusts the redirect that echoes our state', async () => {
    const state = crypto.randomUUID()
    const back = await logout(state)
    expect(back.origin + back.pathname).toBe(POST_LOGOUT)
    expect(() => validateEndSessionResponse(back, state)).not.toThrow()
  })
})

describe('oidcc-client-test-rp-init-logout-no-state', () => {
  it('refuses a post-logout redirect without state', async () => {
    const back = await logout(crypto.randomUUID())
    back.searchParams.delete('state')
    await refused(
      Promise.resolve().then(() => validateEndSessionResponse(back, 'ours')),
      'STATE_MISSING',
    )
  })
})

describe('oidcc-client-test-rp-init-logout-other-state', () => {
  it('refuses a post-logout redirect carrying another state', async () => {
    const back = await logout(crypto.randomUUID())
    await refused(
      Promise.resolve().then(() => validateEndSessionResponse(back, crypto.randomUUID())),
      'STATE_MISMATCH',
    )
  })

  it('refuses a repeated state parameter', () => {
    expect(() => validateEndSessionResponse('?state=ours&state=ours', 'ours')).toThrow(
      expect.objectContaining({ code: 'STATE_MISMATCH' }),
    )
  })
})

describe('the SPA layer: a logout state is single use and of the logout kind', () => {
  /** A Map-backed Storage: sessionStorage's interface outside a browser. */
  function storage() {
    const map = new Map<string, string>()
    return {
      getItem: (k: string) => map.get(k) ?? null,
      setItem: (k: string, v: string) => void map.set(k, v),
      removeItem: (k: string) => void map.delete(k),
    }
  }

  it('refuses missing, foreign, replayed and login-kind states', () => {
    const store = new TransactionStore(storage())
    const pending = { transaction: null, mode: 'logout' as const, createdAt: Date.now() }
    store.save('logout-state', pending)
    store.save('login-state', { ...pending, mode: 'redirect' as const })
    expect(() => store.take(null, 'logout')).toThrow(
      expect.objectContaining({ code: 'STATE_MISSING' }),
    )
    expect(() => store.take('foreign', 'logout')).toThrow(
      expect.objectContaining({ code: 'STATE_MISMATCH' }),
    )
    expect(() => store.take('login-state', 'logout')).toThrow(
      expect.objectContaining({ code: 'STATE_MISMATCH' }),
    )
    expect(store.take('logout-state', 'logout')).toMatchObject({ mode: 'logout' })
    expect(() => store.take('logout-state', 'logout')).toThrow(
      expect.objectContaining({ code: 'STATE_MISMATCH' }),
    )
  })
})
