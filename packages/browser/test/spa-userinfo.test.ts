/**
 * SpaClient.userinfo() against the reference server over HTTP: conformant providers (and the
 * reference server) put profile claims at the UserInfo endpoint, not in the ID token of the code
 * flow. The call goes through core's userinfo (sub check) on the SpaClient's own core, keeps the
 * claims with the session, and getUser() returns them merged.
 */
import { isOpenRpError } from '@openrp/core'
import { completeLogin, DEMO_USERS } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import type { SpaClient } from '../src/spa-client.ts'
import { spaUserinfo } from '../src/spa-userinfo.ts'
import type { ScriptedNavigator } from './spa-fakes.ts'
import { ORIGIN, useSpaServer } from './spa-server.ts'

const rp = useSpaServer({}, { postLogoutRedirectUri: `${ORIGIN}/` })
const alice = DEMO_USERS[0]!
/** Where the claims are kept: next to the session. */
const claimsKey = () => `${rp.key}:userinfo`

async function signIn(spa: SpaClient, navigator: ScriptedNavigator): Promise<void> {
  await spa.loginWithRedirect()
  const done = await completeLogin(navigator.assigned.at(-1)!)
  navigator.url = done.url.toString()
  await spa.handleRedirectCallback()
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (isOpenRpError(error) ? error.code : `not typed: ${String(error)}`),
  )
}

describe('SpaClient userinfo', () => {
  it('a login fetches userinfo once; getUser() has the profile claims the ID token lacks', async () => {
    const { spa, navigator } = rp.setup({ userinfo: spaUserinfo })
    await signIn(spa, navigator)
    const tokens = await spa.getTokenSet()
    expect(tokens?.claims()?.name).toBeUndefined()
    const user = await spa.getUser()
    expect(user).toMatchObject({
      sub: alice.sub,
      name: alice.claims.name,
      email: alice.claims.email,
      iss: rp.server.issuer,
    })
    expect(rp.server.control.requests({ endpoint: 'userinfo' })).toHaveLength(1)
    // The SpaClient's own core: one discovery for login, token and userinfo together.
    expect(rp.server.control.requests({ endpoint: 'discovery' })).toHaveLength(1)
  })

  it('spa.userinfo() fetches the claims again and returns them', async () => {
    const { spa, navigator } = rp.setup({ userinfo: spaUserinfo })
    await signIn(spa, navigator)
    const claims = await spa.userinfo()
    expect(claims).toMatchObject({ sub: alice.sub, name: alice.claims.name })
    expect(rp.server.control.requests({ endpoint: 'userinfo' })).toHaveLength(2)
  })

  it('claims about another user are refused (USERINFO_SUB_MISMATCH) and never merged', async () => {
    const { spa, navigator, store } = rp.setup({ userinfo: spaUserinfo })
    await signIn(spa, navigator)
    rp.server.control.setFaults({ userinfo: { sub: 'someone-else' } })
    expect(await codeOf(spa.userinfo())).toBe('USERINFO_SUB_MISMATCH')
    expect(await spa.getUser()).toMatchObject({ sub: alice.sub, name: alice.claims.name })
    expect(await store.get(claimsKey())).toMatchObject({ sub: alice.sub })
  })

  it('a userinfo failure at login is an error event; the login stands', async () => {
    const { spa, navigator } = rp.setup({ userinfo: spaUserinfo })
    const errors: string[] = []
    spa.on('error', (error) => errors.push(error.code))
    rp.server.control.setFaults({ http: { userinfo: { status: 403, times: 1 } } })
    await signIn(spa, navigator)
    expect(await spa.isAuthenticated()).toBe(true)
    expect(errors).toHaveLength(1)
    expect((await spa.getUser())?.name).toBeUndefined()
    expect((await spa.userinfo()).name).toBe(alice.claims.name)
    expect((await spa.getUser())?.name).toBe(alice.claims.name)
  })

  it('logout clears the kept claims', async () => {
    const { spa, navigator, store } = rp.setup({ userinfo: spaUserinfo })
    await signIn(spa, navigator)
    expect(await store.get(claimsKey())).toBeDefined()
    await spa.logout({ localOnly: true })
    expect(await store.get(claimsKey())).toBeUndefined()
    expect(await spa.getUser()).toBeUndefined()
  })

  it('kept claims of another user are not merged', async () => {
    const { spa, navigator, store } = rp.setup({ userinfo: spaUserinfo })
    await signIn(spa, navigator)
    await store.set(claimsKey(), {
      sub: 'someone-else',
      claims: { sub: 'someone-else', name: 'Mallory' },
    })
    expect((await spa.getUser())?.name).toBeUndefined()
  })

  it('signed out: LOGIN_REQUIRED', async () => {
    const { spa } = rp.setup({ userinfo: spaUserinfo })
    expect(await codeOf(spa.userinfo())).toBe('LOGIN_REQUIRED')
    expect(rp.server.control.requests({ endpoint: 'userinfo' })).toHaveLength(0)
  })

  it('without the userinfo option: UNSUPPORTED, and a login fetches nothing', async () => {
    const { spa, navigator } = rp.setup()
    await signIn(spa, navigator)
    expect(await codeOf(spa.userinfo())).toBe('UNSUPPORTED')
    expect(rp.server.control.requests({ endpoint: 'userinfo' })).toHaveLength(0)
    expect((await spa.getUser())?.sub).toBe(alice.sub)
  })
})
