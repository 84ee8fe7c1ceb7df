import { getEventListeners } from 'node:events'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { OpenRpError } from '../src/index.ts'
import { settles, timersPending, watch, wholeSecondNow } from './helpers/clock.ts'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'
import { withReplacedGlobal } from './helpers/replaced-global.ts'

const h = useReferenceServer()
const m2m = (extra = {}) => h.client({ clientId: 'm2m', clientSecret: 'm2m-secret', ...extra })

describe('retries of idempotent requests', () => {
  it('retries discovery after a 503 with Retry-After in seconds', async () => {
    const clock = new ManualClock()
    h.server.control.setFaults({ http: { discovery: { status: 503, retryAfter: '1', times: 1 } } })
    const pending = m2m({ clock })
    const state = watch(pending)
    // Parked on its deadline and its wait of one second.
    await timersPending(clock, 2)
    await clock.advance(999)
    expect(state.settled).toBe(false)
    expect(h.server.control.requests({ endpoint: 'discovery' })).toHaveLength(1)
    await clock.advance(1)
    await pending
    expect(h.server.control.requests({ endpoint: 'discovery' })).toHaveLength(2)
  })

  it('honours Retry-After as an HTTP-date', async () => {
    const clock = new ManualClock(wholeSecondNow())
    const client = await m2m({ clock })
    const date = new Date(clock.now() + 2000).toUTCString()
    h.server.control.setFaults({ http: { token: { status: 429, retryAfter: date, times: 1 } } })
    const pending = client.clientCredentials({ scope: 'api:read' })
    const state = watch(pending)
    await timersPending(clock, 2)
    // The date is two seconds ahead of the client's clock: the retry waits exactly that.
    await clock.advance(1999)
    expect(state.settled).toBe(false)
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(1)
    await clock.advance(1)
    await pending
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(2)
  })

  it('fails at once with retryAfterMs when Retry-After exceeds retry.maxDelayMs', async () => {
    const clock = new ManualClock()
    const client = await m2m({ retry: { maxDelayMs: 100 }, clock })
    h.server.control.setFaults({ http: { token: { status: 429, retryAfter: '30' } } })
    // Without any time passing on the client's clock.
    await expect(client.clientCredentials()).rejects.toMatchObject({
      code: 'OAUTH_ERROR',
      status: 429,
      retryAfterMs: 30_000,
    })
    expect(clock.pendingTimers).toBe(0)
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(1)
  })

  it('counts retryAfterMs of an HTTP-date from the client clock', async () => {
    // A clock a day ahead of the wall clock: only its time gives exactly 30 s.
    const clock = new ManualClock(wholeSecondNow() + 86_400_000)
    const client = await m2m({ retry: { maxDelayMs: 100 }, clock })
    const date = new Date(clock.now() + 30_000).toUTCString()
    h.server.control.setFaults({ http: { token: { status: 429, retryAfter: date } } })
    await expect(client.clientCredentials()).rejects.toMatchObject({
      status: 429,
      retryAfterMs: 30_000,
    })
  })

  it('reports retryAfterMs on the error after the last retry', async () => {
    const client = await m2m({ retry: { maxRetries: 1, maxDelayMs: 2000 } })
    h.server.control.setFaults({ http: { token: { status: 503, retryAfter: '0' } } })
    await expect(client.clientCredentials()).rejects.toMatchObject({
      status: 503,
      retryAfterMs: 0,
    })
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(2)
  })

  it('gives up after maxRetries with the provider error', async () => {
    const client = await m2m({ retry: { maxRetries: 2, baseDelayMs: 10 } })
    h.server.control.setFaults({ http: { token: { status: 500 } } })
    await expect(client.clientCredentials()).rejects.toMatchObject({
      code: 'OAUTH_ERROR',
      status: 500,
    })
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(3)
  })

  it('retries the JWKS and userinfo GETs', async () => {
    const client = await h.client({
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      retry: { baseDelayMs: 10 },
    })
    const { params, transaction } = await login(client)
    h.server.control.setFaults({
      http: { jwks: { status: 502, times: 1 }, userinfo: { status: 503, times: 1 } },
    })
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    await client.userinfo(tokens)
    expect(h.server.control.requests({ endpoint: 'jwks' })).toHaveLength(2)
    expect(h.server.control.requests({ endpoint: 'userinfo' })).toHaveLength(2)
  })
})

describe('code and refresh-token POSTs are never retried blindly', () => {
  it('does not retry an authorization code exchange on 503', async () => {
    const client = await h.client({
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      retry: { baseDelayMs: 10 },
    })
    const { params, transaction } = await login(client)
    h.server.control.setFaults({ http: { token: { status: 503, retryAfter: '0' } } })
    await expect(client.handleAuthorizationResponse(params, transaction)).rejects.toMatchObject({
      status: 503,
    })
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(1)
  })

  it('does not retry a refresh on 500', async () => {
    const client = await h.client({
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      scope: 'openid offline_access',
    })
    const { params, transaction } = await login(client)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    h.server.control.clearRequests()
    h.server.control.setFaults({ http: { token: { status: 500 } } })
    await expect(client.refresh(tokens)).rejects.toBeInstanceOf(OpenRpError)
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(1)
  })
})

describe('timeouts, aborts and bad bodies', () => {
  it('ends a hung token endpoint in TimeoutError within timeoutMs', async () => {
    const clock = new ManualClock()
    const client = await m2m({ timeoutMs: 300, clock })
    const hold = h.server.control.hold({ endpoint: 'token', stage: 'request' })
    const pending = client.clientCredentials()
    const state = watch(pending)
    await hold.waitUntilHeld()
    await clock.advance(299)
    expect(state.settled).toBe(false)
    await clock.advance(1)
    await settles(state)
    await expect(pending).rejects.toMatchObject({ code: 'TIMEOUT', timeoutMs: 300 })
  })

  it('a hung JWKS during the code exchange ends in one TimeoutError within timeoutMs', async () => {
    // Near real time: the ID token's iat / exp are checked on this clock.
    const clock = new ManualClock(Date.now())
    const client = await h.client({
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      timeoutMs: 400,
      clock,
    })
    const { params, transaction } = await login(client)
    const hold = h.server.control.hold({ endpoint: 'jwks', stage: 'request' })
    const pending = client.handleAuthorizationResponse(params, transaction)
    const state = watch(pending)
    await hold.waitUntilHeld()
    await clock.advance(399)
    expect(state.settled).toBe(false)
    await clock.advance(1)
    await settles(state)
    await expect(pending).rejects.toMatchObject({ code: 'TIMEOUT' })
  })

  it('aborts on the caller signal', async () => {
    const client = await m2m()
    const hold = h.server.control.hold({ endpoint: 'token', stage: 'request' })
    const controller = new AbortController()
    const pending = client.clientCredentials({ signal: controller.signal })
    // Aborted while the request is on its way.
    await hold.waitUntilHeld()
    controller.abort()
    await expect(pending).rejects.toMatchObject({
      code: 'ABORTED',
    })
    await expect(client.clientCredentials({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    })
  })

  it('leaves no listener on a long-lived caller signal once its operations settle', async () => {
    const client = await m2m()
    const controller = new AbortController()
    for (let i = 0; i < 3; i++) await client.clientCredentials({ signal: controller.signal })
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    // A settled operation's deadline no longer follows the signal.
    controller.abort()
    expect((await client.clientCredentials()).accessToken).toEqual(expect.any(String))
  })

  it.each([
    ['malformed_json', 'INVALID_RESPONSE'],
    ['html', 'INVALID_RESPONSE'],
    ['json_array', 'TOKEN_RESPONSE_INVALID'],
    ['empty', 'INVALID_RESPONSE'],
    ['oversized', 'RESPONSE_TOO_LARGE'],
  ] as const)('refuses a %s token response with %s', async (body, code) => {
    const client = await m2m({ retry: { maxRetries: 0 } })
    h.server.control.setFaults({ http: { token: { body } } })
    await expect(client.clientCredentials()).rejects.toMatchObject({ code })
  })

  it('caps bodies at maxResponseBytes', async () => {
    await expect(m2m({ maxResponseBytes: 64 })).rejects.toMatchObject({
      code: 'RESPONSE_TOO_LARGE',
    })
  })

  it('handles a token response without expires_in, or with a string one', async () => {
    const client = await m2m()
    h.server.control.setFaults({ tokenResponse: { omitExpiresIn: true } })
    const noExpiry = await client.clientCredentials()
    expect(noExpiry.expiresAt).toBeUndefined()
    expect(noExpiry.isExpired()).toBe(false)
    h.server.control.setFaults({ tokenResponse: { expiresIn: '120' } })
    const stringy = await client.clientCredentials()
    expect(stringy.expiresIn()).toBeGreaterThan(100)
    h.server.control.setFaults({ tokenResponse: { expiresIn: 'soon' } })
    await expect(client.clientCredentials()).rejects.toMatchObject({
      code: 'TOKEN_RESPONSE_INVALID',
    })
  })
})

describe('a host process that replaced globalThis.Response', () => {
  it('still reports the provider status and error (as with @hono/node-server in the process)', async () => {
    const client = await m2m()
    h.server.control.setFaults({ http: { token: { status: 500 } } })
    await expect(
      withReplacedGlobal('Response', () => client.clientCredentials()),
    ).rejects.toMatchObject({ code: 'OAUTH_ERROR', status: 500 })
  })
})
