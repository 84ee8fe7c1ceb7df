/**
 * Regression: a ClientCredentialsProvider whose renewal inside the renewal window (less than
 * `refreshSkewSec` left, not expired) failed at the token endpoint handed out the token it held
 * and told no one: a provider refusing the client (`invalid_client`: bad credentials, a revoked
 * client) went unseen until the token expired, then failed every caller at once. Now the held
 * token is still handed out, with the error to `onWarning` (once per failure, on every fleet
 * member), and the key backs off (the next call after the pause tries again, one request
 * for the fleet); callers get the error once no valid token is held. (The token is now handed out
 * at once, and the error is its background renewal's: the tests wait for each warning.)
 */
import { type Client, discover, type OpenRpError, TokenSet } from '@openrp/core'
import { startReferenceServer } from '@openrp/reference-server'
import { fixedKeyPairs, ManualClock } from '@openrp/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { ClientCredentialsProvider } from '../src/client-credentials-provider.ts'
import { driveUntilSettled } from './helpers/clock.ts'
import {
  advanceUntil,
  CC_TOKEN_TTL_SEC,
  type Member,
  member,
  useClientCredentialsFleet,
} from './helpers/fleet.ts'

const clock = new ManualClock(Date.now())
const fleet = useClientCredentialsFleet(clock)
const members: Member[] = []

afterEach(async () => {
  fleet.server.control.resetFaults()
  await Promise.all(members.splice(0).map((m) => m.close()))
})

const options = { scope: 'api:read' }
const { tokenRequests } = fleet

/** A fleet member's provider on the shared Redis; its warnings in `warnings`. */
function provider(prefix: string, on: Client = fleet.client) {
  const m = member(fleet.redis.url, prefix, clock)
  members.push(m)
  const warnings: OpenRpError[] = []
  const p = new ClientCredentialsProvider({
    client: on,
    store: m.store,
    lock: m.lock,
    clock,
    refreshSkewSec: 60,
    // The longest pause of each step: 1 s, then 2 s.
    random: () => 0.999,
    onWarning: (error) => warnings.push(error),
  })
  return { provider: p, warnings }
}

/** Into the renewal window of `tokens`: `leftSec` left. */
const leave = (tokens: TokenSet, leftSec: number) =>
  clock.advance((tokens.expiresAt! - leftSec) * 1000 - clock.now())

const get = (p: ClientCredentialsProvider, extra = {}) =>
  driveUntilSettled(clock, p.getToken({ ...options, ...extra }))

/** Until `warnings` holds `count` (the background renewal failed), the clock moving by ms. */
const warned = (warnings: OpenRpError[], count: number) =>
  advanceUntil(clock, () => warnings.length >= count, 1)

describe('ClientCredentialsProvider: the token endpoint fails inside the renewal window', () => {
  it('503, then a 502 page: the held token, the error to onWarning, one request per backoff step', async () => {
    const { provider: p, warnings } = provider('cc5xx')
    const held = await p.getToken(options)
    await leave(held, 50)
    const sent = tokenRequests().length

    fleet.server.control.setFaults({ http: { token: { status: 503 } } })
    expect(await get(p)).toBe(held)
    await warned(warnings, 1)
    // During the backoff: the held token again, without a request (nor a second warning).
    expect(await get(p)).toBe(held)
    expect(warnings.map((w) => [w.code, (w as { status?: number }).status])).toEqual([
      ['OAUTH_ERROR', 503],
    ])
    expect(tokenRequests()).toHaveLength(sent + 1)

    // After the pause, the next call tries again.
    fleet.server.control.setFaults({ http: { token: { status: 502, body: 'html' } } })
    await clock.advance(1_000)
    // (A renewal of the backoff still under way may take a call's turn: calls until one tries.)
    for (let i = 0; i < 2_000 && warnings.length < 2; i++) {
      expect(await p.getToken(options)).toBe(held)
      await new Promise((r) => setTimeout(r, 1))
    }
    expect(warnings.at(-1)).toMatchObject({ code: 'HTTP_ERROR', status: 502 })
    expect(tokenRequests()).toHaveLength(sent + 2)

    // A token to replace is not handed out again; nor an expired one.
    await expect(get(p, { forceRefresh: true })).rejects.toMatchObject({ code: 'HTTP_ERROR' })
    await expect(get(p, { rejectedToken: held.accessToken })).rejects.toMatchObject({
      code: 'HTTP_ERROR',
    })
    fleet.server.control.setFaults({ http: { token: { status: 503 } } })
    await leave(held, 0)
    await expect(get(p)).rejects.toMatchObject({ code: 'OAUTH_ERROR', status: 503 })

    fleet.server.control.resetFaults()
    await clock.advance(5_000)
    const renewed = await get(p)
    expect(renewed.accessToken).not.toBe(held.accessToken)
  }, 30_000)

  it('a member that holds nothing yet is handed the stored token the same way', async () => {
    const first = provider('ccnew')
    const held = await first.provider.getToken(options)
    await leave(held, 50)
    fleet.server.control.setFaults({ http: { token: { status: 500 } } })

    const late = provider('ccnew')
    const token = await get(late.provider)
    expect(token.accessToken).toBe(held.accessToken)
    await warned(late.warnings, 1)
    expect(late.warnings).toMatchObject([{ code: 'OAUTH_ERROR', status: 500 }])
  }, 30_000)

  it('the provider out of reach: the held token, NETWORK_ERROR to onWarning', async () => {
    const gone = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      accessTokenTtl: CC_TOKEN_TTL_SEC,
    })
    const goneClient = await discover(gone.issuer, {
      clock,
      clientId: 'm2m',
      clientSecret: 'm2m-secret',
    })
    const { provider: p, warnings } = provider('ccnet', goneClient)
    const held = await p.getToken(options)
    await leave(held, 50)
    await gone.close()

    expect(await get(p)).toBe(held)
    await warned(warnings, 1)
    expect(warnings.map((w) => w.code)).toEqual(['NETWORK_ERROR'])
  }, 30_000)

  it('invalid_client (bad credentials, a revoked client): the held token, the error to onWarning on every member, to callers once it expired', async () => {
    const a = provider('cc401')
    const b = provider('cc401')
    const held = await a.provider.getToken(options)
    expect((await b.provider.getToken(options)).accessToken).toBe(held.accessToken)
    await leave(held, 50)
    const sent = tokenRequests().length

    fleet.server.control.setFaults({ http: { token: { status: 401 } } })
    expect(await get(a.provider)).toBe(held)
    await warned(a.warnings, 1)
    // During the backoff, without a request: here (told once), and on the member that shares
    // the store.
    expect(await get(a.provider)).toBe(held)
    expect((await get(b.provider)).accessToken).toBe(held.accessToken)
    await warned(b.warnings, 1)
    expect(tokenRequests()).toHaveLength(sent + 1)
    const refused = { code: 'OAUTH_ERROR', error: 'invalid_client', status: 401 }
    expect(a.warnings).toEqual([expect.objectContaining(refused)])
    expect(b.warnings).toEqual([expect.objectContaining(refused)])
    expect(TokenSet.fromJSON(await members[0]!.store.get(a.provider.keyOf(options)))).toEqual(held)

    // Once the token has expired, nothing is held: the refusal reaches the caller.
    await leave(held, -1)
    await expect(get(a.provider)).rejects.toMatchObject(refused)
    await expect(get(b.provider)).rejects.toMatchObject(refused)
  }, 30_000)
})
