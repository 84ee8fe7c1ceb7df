/**
 * Regression: the JWKS fetch that concurrent validations share is not tied to the first
 * caller's AbortSignal or deadline, and a stale key set keeps serving while the provider's
 * `jwks_uri` cannot be reached (but never stands in for a refetch after an unknown `kid`).
 */
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { type ClientOptions, validateIdToken } from '../src/index.ts'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()

const spa = (extra: Partial<ClientOptions> = {}) =>
  h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT, scope: 'openid profile', ...extra })

/** A fresh ID token of alice, from a client of its own (its JWKS cache stays apart). */
async function idToken(): Promise<string> {
  const client = await spa()
  const { params, transaction } = await login(client)
  const tokens = await client.handleAuthorizationResponse(params, transaction)
  return tokens.idToken!
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code,
  )

const jwksHits = () => h.server.control.requests({ endpoint: 'jwks' }).length

describe('one shared JWKS fetch, each caller with its own signal', () => {
  it('the first caller aborting does not fail the others', async () => {
    const token = await idToken()
    const client = await spa() // empty JWKS cache
    h.server.control.clearRequests()
    const hold = h.server.control.hold({ endpoint: 'jwks', stage: 'request', times: 1 })
    const controller = new AbortController()
    const first = outcome(validateIdToken(client.core, token, { signal: controller.signal }))
    const second = outcome(validateIdToken(client.core, token, {}))
    await hold.waitUntilHeld() // the shared fetch is on its way
    controller.abort()
    expect(await first).toBe('ABORTED')
    hold.release()
    expect(await second).toBe('ok')
    expect(jwksHits()).toBe(1)

    // Without a caller signal, the shared fetch still ends at the core's timeoutMs (on its clock).
    const clock = new ManualClock(Date.now())
    const hung = await spa({ timeoutMs: 300, clock })
    const unanswered = h.server.control.hold({ endpoint: 'jwks', stage: 'request' })
    const timedOut = Promise.all([
      outcome(validateIdToken(hung.core, token)),
      outcome(validateIdToken(hung.core, token)),
    ])
    await unanswered.waitUntilHeld()
    await clock.advance(300)
    expect(await timedOut).toEqual(['TIMEOUT', 'TIMEOUT'])
    unanswered.release()
  })

  it('a caller that joins the fetch of one that aborts later is not failed by it', async () => {
    const token = await idToken()
    const client = await spa()
    h.server.control.clearRequests()
    const hold = h.server.control.hold({ endpoint: 'jwks', stage: 'request', times: 1 })
    const controller = new AbortController()
    const first = outcome(validateIdToken(client.core, token, { signal: controller.signal }))
    await hold.waitUntilHeld() // the first caller's fetch is under way
    const second = outcome(validateIdToken(client.core, token))
    controller.abort()
    expect(await first).toBe('ABORTED')
    hold.release()
    expect(await second).toBe('ok')
    expect(jwksHits()).toBe(1)
  })
})

describe('a stale key set while the jwks_uri is down', () => {
  const stale = async (extra: Partial<ClientOptions> = {}) => {
    const clock = new ManualClock(Date.now())
    const client = await spa({
      jwksMaxAgeMs: 50,
      jwksCooldownMs: 1000,
      retry: { maxRetries: 0 },
      clock,
      ...extra,
    })
    const token = await idToken()
    await validateIdToken(client.core, token) // loads the set
    await clock.advance(51) // older than jwksMaxAgeMs now
    h.server.control.clearRequests()
    return { client, token, clock }
  }

  it('a 503 serves the last good set (refreshed again after the cooldown), never for an unknown kid', async () => {
    const { client, token, clock } = await stale()
    h.server.control.setFaults({ http: { jwks: { status: 503 } } })
    await expect(validateIdToken(client.core, token)).resolves.toMatchObject({
      iss: h.server.issuer,
    })
    await clock.advance(999) // within the cooldown: no new attempt
    await expect(validateIdToken(client.core, token)).resolves.toMatchObject({
      iss: h.server.issuer,
    })
    expect(jwksHits()).toBe(1)
    await clock.advance(1) // the cooldown is over: one more attempt, still serving the old set
    await expect(validateIdToken(client.core, token)).resolves.toMatchObject({
      iss: h.server.issuer,
    })
    expect(jwksHits()).toBe(2)
    h.server.control.clearRequests()
    // A token signed with a key the stale set lacks needs the refetch, which fails: refused.
    h.server.control.resetFaults()
    await h.server.control.rotateKeys({ dropOld: true })
    const rotated = await idToken()
    h.server.control.clearRequests()
    h.server.control.setFaults({ http: { jwks: { status: 503 } } })
    await expect(validateIdToken(client.core, rotated)).rejects.toMatchObject({
      code: 'JWKS_INVALID',
    })
    expect(jwksHits()).toBe(1)
  })

  it('a hung jwks_uri (core timeout) serves the last good set, a malformed one does not', async () => {
    const { client, token, clock } = await stale({ timeoutMs: 300, jwksCooldownMs: 0 })
    const unanswered = h.server.control.hold({ endpoint: 'jwks', stage: 'request' })
    const hung = validateIdToken(client.core, token)
    await unanswered.waitUntilHeld()
    await clock.advance(300) // the core's timeout
    await expect(hung).resolves.toMatchObject({ iss: h.server.issuer })
    unanswered.release()
    // The provider answered, with garbage: that is no network failure.
    h.server.control.setFaults({ http: { jwks: { body: 'malformed_json' } } })
    await expect(validateIdToken(client.core, token)).rejects.toMatchObject({
      code: 'JWKS_INVALID',
    })
  })
})

describe('a refetch for a new kid that failed', () => {
  it('until the cooldown is over the new kid gets that failure again, not JWKS_NO_MATCHING_KEY; then one refetch', async () => {
    const clock = new ManualClock(Date.now())
    const client = await spa({ jwksCooldownMs: 1000, retry: { maxRetries: 0 }, clock })
    await validateIdToken(client.core, await idToken()) // loads the set
    await h.server.control.rotateKeys({ dropOld: true })
    const rotated = await idToken()
    h.server.control.clearRequests()
    h.server.control.setFaults({ http: { jwks: { status: 503, times: 1 } } })
    await expect(validateIdToken(client.core, rotated)).rejects.toMatchObject({
      code: 'JWKS_INVALID',
      cause: { status: 503 },
    })
    expect(jwksHits()).toBe(1)
    // The jwks_uri answers again, but the cooldown holds: no request, and nothing says the key
    // is not the provider's (a logout token refused with 400 would not be delivered again).
    await clock.advance(999)
    await expect(validateIdToken(client.core, rotated)).rejects.toMatchObject({
      code: 'JWKS_INVALID',
      cause: { status: 503 },
    })
    expect(jwksHits()).toBe(1)
    await clock.advance(1)
    await expect(validateIdToken(client.core, rotated)).resolves.toMatchObject({
      iss: h.server.issuer,
    })
    expect(jwksHits()).toBe(2)
  })
})
