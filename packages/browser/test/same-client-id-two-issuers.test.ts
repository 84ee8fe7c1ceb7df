/**
 * Regression: two SpaClients with the same `clientId` and different issuers (a multi-tenant app:
 * one application id, one issuer per tenant) kept their sessions under one key,
 * `openrp:<clientId>`. The client of issuer B then returned issuer A's access token and claims,
 * sent A's refresh token to B's token endpoint (whose refusal ended A's session) and A's tokens
 * to B's revocation and end_session endpoints, and its login or logout replaced or deleted A's
 * session. Sessions are now kept per issuer; one kept by an earlier version under the old key
 * moves to the new one when its ID token is this issuer's.
 */
import { InProcessLock, isOpenRpError, MemoryStore } from '@openrp/core'
import { CookieJar, completeLogin, DEMO_USERS } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import type { SpaDpop } from '../src/dpop-key.ts'
import type { SpaClient } from '../src/spa-client.ts'
import { spaUserinfo } from '../src/spa-userinfo.ts'
import { ScriptedNavigator } from './spa-fakes.ts'
import { ORIGIN, useSpaServer } from './spa-server.ts'

const a = useSpaServer({}, { postLogoutRedirectUri: `${ORIGIN}/` })
const b = useSpaServer({}, { postLogoutRedirectUri: `${ORIGIN}/` })

/** The key sessions were kept under before they were kept per issuer. */
const LEGACY_KEY = 'openrp:spa'

/** Both clients in one page: one store, one lock, one sessionStorage. */
function page(options: { userinfo?: typeof spaUserinfo } = {}) {
  const store = new MemoryStore()
  const lock = new InProcessLock()
  const navigator = new ScriptedNavigator()
  return {
    store,
    navigator,
    a: a.setup({ store, lock, navigator, ...options }).spa,
    b: b.setup({ store, lock, navigator, ...options }).spa,
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (isOpenRpError(error) ? error.code : `not typed: ${String(error)}`),
  )
}

/** A redirect login's response URL: the provider's form filled, the browser sent back. */
async function loginResponse(spa: SpaClient, navigator: ScriptedNavigator): Promise<string> {
  await spa.loginWithRedirect()
  const done = await completeLogin(navigator.assigned.at(-1)!, { cookieJar: new CookieJar() })
  return done.url.href
}

async function signIn(spa: SpaClient, navigator: ScriptedNavigator) {
  const { tokenSet } = await spa.handleRedirectCallback(await loginResponse(spa, navigator))
  return tokenSet!
}

describe('two SpaClients with one clientId and two issuers', () => {
  it('the other issuer’s client neither returns, renews with, revokes nor ends a session', async () => {
    const { a: spaA, b: spaB, navigator } = page()
    const tokensA = await signIn(spaA, navigator)
    b.server.control.clearRequests()

    expect(await spaB.isAuthenticated()).toBe(false)
    expect(await spaB.getTokenSet()).toBeUndefined()
    expect(await spaB.getUser()).toBeUndefined()
    expect(await codeOf(spaB.getAccessToken())).toBe('LOGIN_REQUIRED')
    expect(await codeOf(spaB.refresh())).toBe('LOGIN_REQUIRED')
    expect(await codeOf(spaB.fetch(`${b.server.issuer}/userinfo`))).toBe('LOGIN_REQUIRED')
    await spaB.logout()
    // Nothing of A's reached B's provider.
    expect(b.server.control.requests({ endpoint: 'token' })).toEqual([])
    expect(b.server.control.requests({ endpoint: 'revocation' })).toEqual([])
    const endSession = new URL(navigator.assigned.at(-1)!)
    expect(endSession.origin).toBe(new URL(b.server.issuer).origin)
    expect(endSession.searchParams.has('id_token_hint')).toBe(false)

    expect(await spaA.getAccessToken()).toBe(tokensA.accessToken)
  })

  it('each signs in without replacing the other’s session', async () => {
    const { a: spaA, b: spaB, navigator } = page()
    const tokensA = await signIn(spaA, navigator)
    const tokensB = await signIn(spaB, navigator)
    expect(tokensB.claims()?.iss).toBe(b.server.issuer)
    expect(await spaA.getAccessToken()).toBe(tokensA.accessToken)
    expect(await spaB.getAccessToken()).toBe(tokensB.accessToken)

    // B's logout ends B's session only, and revokes B's tokens at B.
    await spaB.logout()
    expect(b.server.control.requests({ endpoint: 'revocation' })).toHaveLength(2)
    expect(a.server.control.requests({ endpoint: 'revocation' })).toEqual([])
    expect(new URL(navigator.assigned.at(-1)!).origin).toBe(new URL(b.server.issuer).origin)
    expect(await spaB.isAuthenticated()).toBe(false)
    expect(await spaA.getAccessToken()).toBe(tokensA.accessToken)
  })

  it('a session kept under the old key moves to its own issuer’s key, with its userinfo; the other issuer’s client leaves it alone', async () => {
    const { a: spaA, navigator } = page()
    const session = (await signIn(spaA, navigator)).toJSON()
    const alice = DEMO_USERS[0]!
    const kept = { sub: alice.sub, claims: { sub: alice.sub, name: alice.claims.name } }
    // As an earlier version kept them: under `openrp:<clientId>`, whatever the issuer.
    const store = new MemoryStore()
    await store.set(LEGACY_KEY, session)
    await store.set(`${LEGACY_KEY}:userinfo`, kept)
    const lock = new InProcessLock()

    // B's client first: not B's session, so neither used nor moved.
    const other = b.setup({ store, lock, navigator: new ScriptedNavigator() }).spa
    expect(await other.isAuthenticated()).toBe(false)
    expect(await store.get(LEGACY_KEY)).toEqual(session)

    const mine = a.setup({
      store,
      lock,
      navigator: new ScriptedNavigator(),
      userinfo: spaUserinfo,
    }).spa
    expect(await mine.getAccessToken()).toBe(session.accessToken)
    expect((await mine.getUser())?.name).toBe(alice.claims.name)
    expect(await store.get(LEGACY_KEY)).toBeUndefined()
    expect(await store.get(`${LEGACY_KEY}:userinfo`)).toBeUndefined()
    expect(await other.isAuthenticated()).toBe(false)
  })

  it('a session under the old key without an ID token (no issuer to tell) is neither used nor moved', async () => {
    const { a: spaA, navigator } = page()
    const { idToken: _, idTokenClaims: __, ...session } = (await signIn(spaA, navigator)).toJSON()
    const store = new MemoryStore()
    await store.set(LEGACY_KEY, session)
    const { spa } = a.setup({ store })
    expect(await spa.isAuthenticated()).toBe(false)
    expect(await store.get(LEGACY_KEY)).toEqual(session)
  })

  it('DPoP keeps the key pair of the old key, which a moved session’s tokens are bound to', async () => {
    const names: string[] = []
    const dpop: SpaDpop = {
      attach: async (core, name) => {
        names.push(name)
        return core
      },
    }
    const { spa, navigator } = a.setup({ dpop })
    await spa.loginWithRedirect()
    expect(navigator.assigned).toHaveLength(1)
    expect(names).toEqual([LEGACY_KEY])
  })
})
