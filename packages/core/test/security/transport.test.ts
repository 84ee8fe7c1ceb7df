/**
 * Transport faults of a misbehaving provider (the reference server's `http` faults): hung
 * endpoints end in TIMEOUT within the configured time; 5xx / 429 are retried with backoff,
 * honouring Retry-After (seconds and HTTP-date; beyond the cap: no retry, the provider's error
 * with retryAfterMs), for idempotent requests only;
 * code and refresh-token POSTs are never retried blindly; bad bodies are typed errors. Nothing
 * is stored from a failed response.
 */
import type { EndpointName, HttpFault } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { discover, OpenRpError } from '../../src/index.ts'
import { settles, timersPending, watch, wholeSecondNow } from '../helpers/clock.ts'
import {
  authorize,
  expectNothingStored,
  refused,
  SESSION_KEY,
  session,
  useProvider,
} from './harness.ts'

const p = useProvider()
const fault = (endpoint: EndpointName, http: HttpFault) =>
  p.server.control.setFaults({ http: { [endpoint]: http } })

/**
 * Holds the next request to `endpoint` (it never gets an answer), waits until `pending` has
 * sent it, then moves `clock` to 1 ms before `timeoutMs` (still pending) and to it: `pending`
 * must end in TIMEOUT there. The clock starts near real time, so ID tokens check out on it.
 */
async function hungUntilTimeout(
  endpoint: EndpointName,
  clock: ManualClock,
  timeoutMs: number,
  start: () => Promise<unknown>,
): Promise<void> {
  const hold = p.server.control.hold({ endpoint, stage: 'request' })
  const pending = start()
  const state = watch(pending)
  await hold.waitUntilHeld(1, { timeoutMs: 10_000 })
  await clock.advance(timeoutMs - 1)
  expect(state.settled).toBe(false)
  await clock.advance(1)
  await settles(state)
  await refused(pending, 'TIMEOUT')
}

describe('timeouts: a hung endpoint ends in TIMEOUT within timeoutMs', () => {
  it('token endpoint (code exchange): TIMEOUT, nothing stored', async () => {
    const clock = new ManualClock(Date.now())
    const client = await p.spa({ timeoutMs: 400, clock })
    const s = session(client)
    const response = await authorize(p, client)
    await hungUntilTimeout('token', clock, 400, () => s.callback(response))
    await expectNothingStored(s.store)
  })

  it('discovery: TIMEOUT', async () => {
    const clock = new ManualClock(Date.now())
    await hungUntilTimeout('discovery', clock, 300, () =>
      discover(p.server.issuer, { clientId: 'spa', timeoutMs: 300, clock }),
    )
  })

  it('JWKS: TIMEOUT while validating an ID token, nothing stored', async () => {
    const clock = new ManualClock(Date.now())
    const client = await p.spa({ timeoutMs: 400, clock })
    const s = session(client)
    const response = await authorize(p, client)
    await hungUntilTimeout('jwks', clock, 400, () => s.callback(response))
    await expectNothingStored(s.store)
  })

  it('userinfo: TIMEOUT', async () => {
    const clock = new ManualClock(Date.now())
    const client = await p.spa({ timeoutMs: 400, clock })
    const tokens = await session(client).callback(await authorize(p, client))
    await hungUntilTimeout('userinfo', clock, 400, () => client.userinfo(tokens))
  })
})

describe('5xx and 429 on idempotent requests: retried, Retry-After honoured and capped', () => {
  it('discovery answering 503 once is retried and succeeds', async () => {
    fault('discovery', { status: 503, times: 1 })
    await discover(p.server.issuer, { clientId: 'spa', retry: { baseDelayMs: 10 } })
    expect(p.hits('discovery')).toBe(2)
  })

  it('JWKS answering 500 twice is retried twice and succeeds', async () => {
    const client = await p.spa({ retry: { baseDelayMs: 10 } })
    const s = session(client)
    const response = await authorize(p, client)
    fault('jwks', { status: 500, times: 2 })
    await s.callback(response)
    expect(p.hits('jwks')).toBe(3)
  })

  /** Discovery on `clock` waits exactly `waitMs` before its retry, and then succeeds. */
  async function retriedAfter(clock: ManualClock, waitMs: number): Promise<void> {
    const pending = discover(p.server.issuer, {
      clientId: 'spa',
      retry: { baseDelayMs: 10 },
      clock,
    })
    const state = watch(pending)
    // Parked on its deadline and its wait.
    await timersPending(clock, 2)
    await clock.advance(waitMs - 1)
    expect(state.settled).toBe(false)
    expect(p.hits('discovery')).toBe(1)
    await clock.advance(1)
    await pending
    expect(p.hits('discovery')).toBe(2)
  }

  it('429 with Retry-After in seconds waits that long', async () => {
    fault('discovery', { status: 429, retryAfter: '1', times: 1 })
    await retriedAfter(new ManualClock(), 1000)
  })

  it('503 with Retry-After as an HTTP-date waits until then', async () => {
    const clock = new ManualClock(wholeSecondNow())
    const at = new Date(clock.now() + 2000)
    fault('discovery', { status: 503, retryAfter: at.toUTCString(), times: 1 })
    await retriedAfter(clock, 2000)
    expect(clock.now()).toBe(at.getTime())
  })

  it('a Retry-After beyond retry.maxDelayMs is not cut short: one request, typed error', async () => {
    fault('discovery', { status: 429, retryAfter: '3600', times: 1 })
    const clock = new ManualClock()
    // Refused without any time passing on the client's clock.
    const error = await refused(
      discover(p.server.issuer, {
        clientId: 'spa',
        retry: { baseDelayMs: 10, maxDelayMs: 200 },
        clock,
      }),
      'OAUTH_ERROR',
    )
    expect(error).toMatchObject({ status: 429, retryAfterMs: 3_600_000 })
    expect(clock.pendingTimers).toBe(0)
    expect(p.hits('discovery')).toBe(1)
  })

  it('gives up after retry.maxRetries with a typed error', async () => {
    fault('discovery', { status: 503 })
    const error = await refused(
      discover(p.server.issuer, { clientId: 'spa', retry: { maxRetries: 2, baseDelayMs: 5 } }),
      'OAUTH_ERROR',
    )
    expect(error).toBeInstanceOf(OpenRpError)
    expect(p.hits('discovery')).toBe(3)
  })

  it('client credentials (safe to replay) is retried after a 503', async () => {
    const m2m = await discover(p.server.issuer, {
      clientId: 'm2m',
      clientSecret: 'm2m-secret',
      retry: { baseDelayMs: 10 },
    })
    fault('token', { status: 503, times: 1 })
    await expect(m2m.clientCredentials({ scope: 'api:read' })).resolves.toMatchObject({
      tokenType: 'Bearer',
    })
    expect(p.hits('token')).toBe(2)
  })
})

describe('never a blind retry of a code or refresh-token POST', () => {
  it.each([
    ['503', { status: 503, times: 1 }],
    ['429 with Retry-After', { status: 429, retryAfter: '1', times: 1 }],
    ['a hung answer (timeout)', 'hold'],
  ] as const)(
    'code exchange answered with %s: one request, error, nothing stored',
    async (_name, http) => {
      // Count what leaves the client (a hung request never shows in the server's log).
      const sent: string[] = []
      const counting: typeof fetch = (input, init) => {
        sent.push(input instanceof Request ? input.url : String(input))
        return fetch(input, init)
      }
      const clock = new ManualClock(Date.now())
      const client = await p.spa({
        timeoutMs: 500,
        retry: { baseDelayMs: 10 },
        fetch: counting,
        clock,
      })
      const s = session(client)
      const response = await authorize(p, client)
      let error: unknown
      if (http === 'hold') {
        // The answer never comes; at timeoutMs the exchange ends, and is not sent again.
        const hold = p.server.control.hold({ endpoint: 'token', stage: 'request' })
        const pending = s.callback(response).catch((e: unknown) => e)
        await hold.waitUntilHeld(1, { timeoutMs: 10_000 })
        await clock.advance(500)
        await settles(watch(pending))
        error = await pending
        expect(error).toMatchObject({ code: 'TIMEOUT' })
        // However long one waits after it.
        await clock.advance(60_000)
      } else {
        fault('token', http)
        // Refused without any time passing on the client's clock: no wait for a retry.
        error = await s.callback(response).catch((e: unknown) => e)
      }
      expect(error).toBeInstanceOf(OpenRpError)
      expect(sent.filter((url) => url.endsWith('/token'))).toHaveLength(1)
      await expectNothingStored(s.store)
    },
  )

  it.each([
    ['503', { status: 503, times: 1 }],
    ['429 with Retry-After', { status: 429, retryAfter: '1', times: 1 }],
  ] as const)(
    'refresh answered with %s: one request, the stored session is kept',
    async (_name, http) => {
      const clock = new ManualClock(Date.now())
      const client = await p.spa({ retry: { baseDelayMs: 10 }, clock })
      const s = session(client)
      await s.callback(await authorize(p, client))
      const before = await s.store.get(SESSION_KEY)
      p.server.control.clearRequests()
      fault('token', http)
      const error = await s.manager.refresh().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(OpenRpError)
      expect(p.hits('token')).toBe(1)
      expect(await s.store.get(SESSION_KEY)).toEqual(before)
      // The refresh token was never sent twice, so it still works (once the backoff is over).
      await clock.advance(1_000)
      await expect(s.manager.refresh()).resolves.toMatchObject({ tokenType: 'Bearer' })
      expect(p.hits('token')).toBe(2)
    },
  )
})

describe('bad bodies are typed errors', () => {
  const BODIES: Array<[HttpFault['body'], string]> = [
    ['malformed_json', 'INVALID_RESPONSE'],
    ['html', 'INVALID_RESPONSE'],
    ['json_array', 'TOKEN_RESPONSE_INVALID'],
    ['empty', 'INVALID_RESPONSE'],
    ['oversized', 'RESPONSE_TOO_LARGE'],
  ]

  it.each(BODIES)('token endpoint 200 with a %s body → %s, nothing stored', async (body, code) => {
    const client = await p.spa()
    const s = session(client)
    const response = await authorize(p, client)
    fault('token', { status: 200, body })
    await refused(s.callback(response), code)
    await expectNothingStored(s.store)
  })

  it.each<[HttpFault['body'], string]>([
    ['malformed_json', 'INVALID_RESPONSE'],
    ['html', 'INVALID_RESPONSE'],
    ['json_array', 'METADATA_INVALID'],
    ['oversized', 'RESPONSE_TOO_LARGE'],
  ])('discovery 200 with a %s body → %s', async (body, code) => {
    fault('discovery', { status: 200, body })
    await refused(discover(p.server.issuer, { clientId: 'spa' }), code)
  })

  it.each<[HttpFault['body'], string]>([
    ['malformed_json', 'JWKS_INVALID'],
    ['html', 'JWKS_INVALID'],
    ['json_array', 'JWKS_INVALID'],
    ['oversized', 'RESPONSE_TOO_LARGE'],
  ])('JWKS 200 with a %s body → %s, nothing stored', async (body, code) => {
    const client = await p.spa()
    const s = session(client)
    const response = await authorize(p, client)
    fault('jwks', { status: 200, body })
    await refused(s.callback(response), code)
    await expectNothingStored(s.store)
  })

  it.each<[HttpFault['body'], string]>([
    ['malformed_json', 'USERINFO_INVALID'],
    ['html', 'USERINFO_INVALID'],
    ['json_array', 'USERINFO_INVALID'],
    ['oversized', 'RESPONSE_TOO_LARGE'],
  ])('userinfo 200 with a %s body → %s', async (body, code) => {
    const client = await p.spa()
    const tokens = await session(client).callback(await authorize(p, client))
    fault('userinfo', { status: 200, body })
    await refused(client.userinfo(tokens), code)
  })

  it('an error status with an HTML body is a typed error, not a parse crash', async () => {
    const client = await p.spa()
    const s = session(client)
    const response = await authorize(p, client)
    fault('token', { status: 502, body: 'html' })
    const error = await s.callback(response).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenRpError)
    expect(error).not.toBeInstanceOf(TypeError)
    await expectNothingStored(s.store)
  })
})
