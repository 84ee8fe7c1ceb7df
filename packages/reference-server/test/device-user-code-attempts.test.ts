/**
 * Regression: the verification page took any number of wrong user codes, so the 8-letter codes
 * (about 34.5 bits) could be guessed by brute force (RFC 8628 §5.1). Now, after
 * `deviceUserCodeAttempts` wrong codes (5 by default) from one source address within a device
 * code's lifetime, every code entry from it is refused with 429 and `Retry-After` until the
 * oldest wrong one has aged out of that window. Time is the server's clock, moved by hand.
 */
import { fixedKeyPairs, ManualClock } from '@openrp/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import {
  CookieJar,
  type ReferenceServer,
  type ReferenceServerOptions,
  startReferenceServer,
} from '../src/index.ts'
import type { Json } from './helpers.ts'

let server: ReferenceServer | undefined
let clock: ManualClock
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function start(options: ReferenceServerOptions = {}): Promise<ReferenceServer> {
  clock = new ManualClock(Date.now())
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    clock,
    ...options,
  })
  return server
}

/** A pending device authorization of the `tv` client: its user code. */
async function userCode(): Promise<string> {
  const res = await fetch(`${server!.issuer}/device_authorization`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'tv', scope: 'openid' }),
  })
  return ((await res.json()) as Json).user_code
}

/** Enters `code` on the verification page (GET, as its form does). */
async function enter(code: string) {
  const res = await fetch(`${server!.issuer}/device?user_code=${encodeURIComponent(code)}`, {
    redirect: 'manual',
  })
  return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() }
}

/** Posts a decision for `code`, as the confirmation form does (with the cookies of `jar`). */
async function decide(code: string, jar = new CookieJar()) {
  const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded' })
  if (jar.header()) headers.set('cookie', jar.header()!)
  const res = await fetch(`${server!.issuer}/device`, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ user_code: code, decision: 'approve' }),
    redirect: 'manual',
  })
  return { status: res.status, retryAfter: res.headers.get('retry-after') }
}

const WRONG = ['BBBB-BBBB', 'CCCC-CCCC', 'DDDD-DDDD', 'FFFF-FFFF', 'GGGG-GGGG', 'HHHH-HHHH']

describe('wrong user codes at the verification page (RFC 8628 §5.1)', () => {
  it('after 5 wrong codes every entry is refused with 429, the right code too, until the window passes', async () => {
    await start()
    for (const code of WRONG.slice(0, 5)) expect((await enter(code)).status).toBe(400)
    const right = await userCode()
    const refused = await enter(right)
    expect(refused.status).toBe(429)
    expect(refused.retryAfter).toBe('600')
    expect(refused.text).toContain('data-openrp="device-rate-limited"')
    expect(refused.text).toMatch(
      /role="alert"[^>]*>Too many wrong codes were entered\. Try again in 10 minutes\./,
    )
    expect((await decide(right)).status).toBe(429)

    // The window slides: half-way, half of it is left.
    await clock.advance(300_000)
    expect((await enter(right)).retryAfter).toBe('300')
    await clock.advance(300_000)
    const fresh = await userCode()
    expect((await enter(fresh)).status).toBe(303) // on to the login page
  })

  it('the right code does not reset the count; a POST without a session counts as a guess', async () => {
    await start()
    const right = await userCode()
    for (const code of WRONG.slice(0, 3)) expect((await enter(code)).status).toBe(400)
    expect((await enter(right)).status).toBe(303)
    expect((await decide(right)).status).toBe(400) // no session: not a user's form
    expect((await enter(WRONG[3]!)).status).toBe(400)
    expect((await enter(right)).status).toBe(429)
  })

  it('the limit is an option: deviceUserCodeAttempts', async () => {
    await start({ deviceUserCodeAttempts: 2 })
    expect((await enter(WRONG[0]!)).status).toBe(400)
    expect((await enter(WRONG[1]!)).status).toBe(400)
    expect((await enter(WRONG[2]!)).status).toBe(429)
    await server!.close()

    await start({ deviceUserCodeAttempts: Number.POSITIVE_INFINITY })
    for (let i = 0; i < 4; i++)
      for (const code of WRONG) expect((await enter(code)).status).toBe(400)

    for (const bad of [0, -1, 2.5, Number.NaN])
      await expect(
        startReferenceServer({
          port: 0,
          generateKeyPair: fixedKeyPairs(),
          deviceUserCodeAttempts: bad,
        }),
      ).rejects.toBeInstanceOf(TypeError)
  })

  it('a wrong code counts for a device code lifetime (deviceCodeTtl)', async () => {
    await start({ deviceUserCodeAttempts: 1, deviceCodeTtl: 60 })
    expect((await enter(WRONG[0]!)).status).toBe(400)
    expect((await enter(WRONG[1]!)).retryAfter).toBe('60')
    await clock.advance(60_000)
    expect((await enter(WRONG[1]!)).status).toBe(400)
  })
})
