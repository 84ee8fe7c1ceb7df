/**
 * Issue 14: a 200 that carries a new refresh token but fails another check. The provider has
 * spent the old refresh token, so the new one is kept (nothing else of the answer is used) and
 * the next refresh sends it, instead of the spent one.
 */
import type { Faults } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { isOpenRpError, type OpenRpError } from '../src/errors.ts'
import { MemoryStore } from '../src/memory-store.ts'
import { rotatedRefreshToken } from '../src/rotated-refresh-token.ts'
import { TokenManager } from '../src/token-manager.ts'
import { TokenSet } from '../src/token-set.ts'
import { useReferenceServer } from './helpers/reference.ts'
import { expired, login, refreshRequests, SPA_CLIENT } from './helpers/session.ts'

const h = useReferenceServer()
const KEY = 'session'

const clientOptions = (clock: ManualClock) => ({
  clock,
  ...SPA_CLIENT,
})

const cases: [string, Faults, string][] = [
  [
    'a bad expires_in',
    { tokenResponse: { expiresIn: 'soon', times: 1 } },
    'TOKEN_RESPONSE_INVALID',
  ],
  [
    'an ID token with a bad signature',
    { idToken: { badSignature: true, only: { grantType: 'refresh_token' }, times: 1 } },
    'JWT_SIGNATURE_INVALID',
  ],
  [
    'an empty access_token',
    { tokenResponse: { accessToken: '', times: 1 } },
    'TOKEN_RESPONSE_INVALID',
  ],
  ['a truncated body', { tokenResponse: { truncateBy: 10, times: 1 } }, 'INVALID_RESPONSE'],
  [
    'an oversized body',
    { tokenResponse: { padBytes: 2 * 1024 * 1024, times: 1 } },
    'RESPONSE_TOO_LARGE',
  ],
  [
    'an ID token about another user',
    { idToken: { sub: 'mallory', only: { grantType: 'refresh_token' }, times: 1 } },
    'ID_TOKEN_SUB_MISMATCH',
  ],
]

describe('a refresh answer with a new refresh token that fails another check', () => {
  it.each(cases)('%s: the new refresh token is kept, nothing else', async (_name, faults, code) => {
    const clock = new ManualClock(Date.now())
    const client = await h.client(clientOptions(clock))
    const store = new MemoryStore()
    const manager = new TokenManager({ client, store, key: KEY, clock, random: () => 1 })
    const errors: unknown[] = []
    manager.on('error', (error) => errors.push(error))
    const tokens = expired(await login(client), clock)
    await manager.setTokenSet(tokens)
    h.server.control.clearRequests()
    h.server.control.setFaults(faults)

    const error = (await manager.getAccessToken().catch((e: unknown) => e)) as OpenRpError
    expect(error.code).toBe(code)
    expect(errors).toEqual([error])
    const kept = TokenSet.fromJSON(await store.get(KEY))
    expect(kept.refreshToken).not.toBe(tokens.refreshToken)
    // Nothing else of the refused answer is used.
    expect({ ...kept.toJSON(), refreshToken: undefined }).toEqual({
      ...tokens.toJSON(),
      refreshToken: undefined,
    })

    // After the backoff, the next refresh sends the kept token: the session goes on.
    await clock.advance(1_000)
    const fresh = await manager.getAccessToken()
    expect(fresh).not.toBe(tokens.accessToken)
    expect(refreshRequests(h.server).map((r) => r.status)).toEqual([200, 200])
  })

  it('client.refresh() hands the new refresh token out only through rotatedRefreshToken()', async () => {
    const clock = new ManualClock(Date.now())
    const client = await h.client(clientOptions(clock))
    const tokens = await login(client)
    h.server.control.setFaults({ tokenResponse: { expiresIn: -1, times: 1 } })
    const error = await client.refresh(tokens).catch((e: unknown) => e)
    expect(isOpenRpError(error, 'TOKEN_RESPONSE_INVALID')).toBe(true)
    const kept = rotatedRefreshToken(error)
    expect(kept).toEqual(expect.any(String))
    expect(kept).not.toBe(tokens.refreshToken)
    // Not reachable from the error: not in its JSON, message, stack or own properties.
    const e = error as Error
    const dump = [JSON.stringify(e), String(e), e.stack, ...Reflect.ownKeys(e).map(String)]
    for (const text of dump) expect(text).not.toContain(kept)
    // And it is the live one: it refreshes.
    await expect(client.refresh(kept!)).resolves.toBeInstanceOf(TokenSet)
  })

  it('an error answer or a reused refresh token carries none', async () => {
    const clock = new ManualClock(Date.now())
    const client = await h.client(clientOptions(clock))
    const tokens = await login(client)
    h.server.control.setFaults({ http: { token: { status: 503, times: 1 } } })
    expect(rotatedRefreshToken(await client.refresh(tokens).catch((e: unknown) => e))).toBe(
      undefined,
    )
    expect(rotatedRefreshToken(new Error('x'))).toBeUndefined()
    expect(rotatedRefreshToken('x')).toBeUndefined()
  })
})
