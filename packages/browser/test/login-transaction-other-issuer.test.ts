/**
 * Regression: two SpaClients with the same `clientId` and different issuers (a multi-tenant app:
 * one application id, one issuer per tenant) shared their login transactions in sessionStorage,
 * and `take()` removed a transaction before anything checked it. Issuer B's client handling the
 * response to issuer A's login refused it (`ISS_MISMATCH`, from core's transaction check) but had
 * used the transaction up: A's client then got `STATE_MISMATCH` and the login was lost. A
 * transaction now names its issuer; another issuer's client refuses it and leaves it in place.
 */
import { InProcessLock, isOpenRpError, MemoryStore } from '@openrp/core'
import { completeLogin } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { ScriptedNavigator } from './spa-fakes.ts'
import { ORIGIN, useSpaServer } from './spa-server.ts'

const a = useSpaServer({}, { postLogoutRedirectUri: `${ORIGIN}/` })
const b = useSpaServer({}, { postLogoutRedirectUri: `${ORIGIN}/` })

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (isOpenRpError(error) ? error.code : `not typed: ${String(error)}`),
  )
}

describe('a login response handled by the client of another issuer with the same clientId', () => {
  it('is refused without using up the transaction: its own client then signs in', async () => {
    // Both clients in one page: one sessionStorage.
    const store = new MemoryStore()
    const lock = new InProcessLock()
    const navigator = new ScriptedNavigator()
    const spaA = a.setup({ store, lock, navigator }).spa
    const spaB = b.setup({ store, lock, navigator }).spa
    await spaA.loginWithRedirect()
    const response = (await completeLogin(navigator.assigned.at(-1)!)).url.href

    expect(await codeOf(spaB.handleRedirectCallback(response))).toBe('STATE_MISMATCH')
    expect(b.server.control.requests({ endpoint: 'token' })).toEqual([])
    const { tokenSet } = await spaA.handleRedirectCallback(response)
    expect(tokenSet?.claims()?.iss).toBe(a.server.issuer)
    // Used once, as before.
    expect(await codeOf(spaA.handleRedirectCallback(response))).toBe('STATE_MISMATCH')
  })

  it("a logout's return is refused by the other issuer's client and left to its own", async () => {
    const navigator = new ScriptedNavigator()
    const spaA = a.setup({ navigator }).spa
    const spaB = b.setup({ navigator }).spa
    await spaA.logout()
    const state = new URL(navigator.assigned.at(-1)!).searchParams.get('state')!
    const back = `${ORIGIN}/?state=${state}`
    expect(spaB.isRedirectCallback(back)).toBe(false)
    expect(await codeOf(spaB.handleRedirectCallback(back))).toBe('STATE_MISMATCH')
    expect(spaA.isRedirectCallback(back)).toBe(true)
    expect(await spaA.handleRedirectCallback(back)).toEqual({ type: 'logout', returnTo: '/' })
  })
})
