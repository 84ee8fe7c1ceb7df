/**
 * Issue 14: every time check of a JWT runs on `ClientOptions.clock`, not on the machine's own
 * time: the ID token of a code grant and of a refresh (oauth4webapi's exp / iat through its
 * documented `clockSkew`, openrp's iat window), `auth_time` against `max_age`, `validateIdToken`
 * (jose's exp / iat through `currentDate`) and logout tokens. A provider and a client that share
 * a clock two hours ahead of the machine's agree; the same tokens judged on the machine's time
 * are refused, which shows the clock is the one deciding.
 */
import { ManualClock } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BACKCHANNEL_LOGOUT_EVENT,
  type Client,
  validateIdToken,
  validateLogoutToken,
} from '../src/index.ts'
import { signJwt, type TestKey, testKey } from './helpers/keys.ts'
import { type StaticProvider, startStaticProvider } from './helpers/provider.ts'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const TWO_HOURS_MS = 2 * 3600_000
const clock = new ManualClock(Date.now() + TWO_HOURS_MS)
const h = useReferenceServer({ clock })

const options = {
  clientId: 'spa',
  redirectUri: SPA_REDIRECT,
  scope: 'openid offline_access',
}

async function loginOn(client: Client) {
  const { params, transaction } = await login(client, { maxAge: 600 })
  return { tokens: await client.handleAuthorizationResponse(params, transaction), transaction }
}

describe('ID-token time checks on the client clock', () => {
  it('a code grant and a refresh whose tokens are issued on a clock two hours ahead are accepted', async () => {
    const client = await h.client({ ...options, clock })
    const { tokens } = await loginOn(client)
    expect(tokens.claims()?.iat).toBe(Math.floor(clock.now() / 1000))
    await clock.advance(60_000)
    const refreshed = await client.refresh(tokens)
    expect(refreshed.claims()?.iat).toBe(Math.floor(clock.now() / 1000))
  })

  it('validateIdToken judges exp and iat on the client clock', async () => {
    const client = await h.client({ ...options, clock })
    const { tokens, transaction } = await loginOn(client)
    const idToken = tokens.idToken as string
    await expect(
      validateIdToken(client.core, idToken, { nonce: transaction.nonce }),
    ).resolves.toMatchObject({ sub: tokens.claims()?.sub })
    // Past its exp on the client clock: refused, though the machine's time is hours before it.
    await clock.advance(24 * 3600_000)
    await expect(
      validateIdToken(client.core, idToken, { nonce: transaction.nonce }),
    ).rejects.toMatchObject({ code: 'ID_TOKEN_EXPIRED' })
  })

  it('the same tokens judged on the machine time are refused (the clock is what decides)', async () => {
    const onClock = await h.client({ ...options, clock })
    const machine = await h.client(options)
    const { params, transaction } = await login(machine)
    // Issued two hours "in the future" for a client on the machine's time.
    await expect(machine.handleAuthorizationResponse(params, transaction)).rejects.toMatchObject({
      code: 'ID_TOKEN_IAT_INVALID',
    })
    const { tokens, transaction: t2 } = await loginOn(onClock)
    await expect(
      validateIdToken(machine.core, tokens.idToken as string, { nonce: t2.nonce }),
    ).rejects.toMatchObject({ code: 'ID_TOKEN_IAT_INVALID' })
  })
})

describe('logout-token time checks on the client clock', () => {
  let provider: StaticProvider
  let key: TestKey
  beforeAll(async () => {
    key = await testKey('k1')
    provider = await startStaticProvider([key])
  })
  afterAll(() => provider.close())

  it('iat is judged on the client clock', async () => {
    const logoutClock = new ManualClock(Date.now() + TWO_HOURS_MS)
    const token = await signJwt(
      {
        iss: provider.metadata.issuer,
        aud: 'client-1',
        iat: Math.floor(logoutClock.now() / 1000),
        jti: crypto.randomUUID(),
        sid: 'session-1',
        events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      },
      { key, header: { typ: 'logout+jwt' } },
    )
    await expect(
      validateLogoutToken(provider.core({ clock: logoutClock }), token),
    ).resolves.toMatchObject({ sid: 'session-1' })
    await expect(validateLogoutToken(provider.core(), token)).rejects.toMatchObject({
      code: 'LOGOUT_TOKEN_INVALID',
    })
  })
})
