/**
 * handleAuthorizationResponse's `timeoutMs`: the code exchange's deadline instead of the
 * client's. The provider spends the code when the request arrives, so a caller that keeps the
 * late answer (SpaClient does) gives the exchange longer than its own wait.
 */
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { isOpenRpError } from '../src/errors.ts'
import { login, useReferenceServer } from './helpers/reference.ts'
import { SPA_CLIENT } from './helpers/session.ts'

const h = useReferenceServer({ enableControlEndpoint: true })

describe('the code exchange deadline', () => {
  it('is the client timeoutMs by default: the exchange is aborted with TIMEOUT', async () => {
    const clock = new ManualClock(Date.now())
    const client = await h.client({ ...SPA_CLIENT, clock, timeoutMs: 1_000 })
    const { url, transaction } = await login(client)
    const hold = h.server.control.hold({ endpoint: 'token', grantType: 'authorization_code' })
    try {
      const exchange = client.handleAuthorizationResponse(url, transaction).catch((e) => e)
      await hold.waitUntilHeld()
      await clock.advance(1_000)
      expect(isOpenRpError(await exchange, 'TIMEOUT')).toBe(true)
    } finally {
      hold.release()
    }
  })

  it('is the call timeoutMs when given: the answer after the client timeoutMs is kept', async () => {
    const clock = new ManualClock(Date.now())
    const client = await h.client({ ...SPA_CLIENT, clock, timeoutMs: 1_000 })
    const { url, transaction } = await login(client)
    const hold = h.server.control.hold({ endpoint: 'token', grantType: 'authorization_code' })
    let outcome: unknown = 'pending'
    const exchange = client.handleAuthorizationResponse(url, transaction, { timeoutMs: 60_000 })
    exchange.then(
      (value) => {
        outcome = value
      },
      (error: unknown) => {
        outcome = error
      },
    )
    try {
      await hold.waitUntilHeld()
      await clock.advance(59_999)
      expect(outcome).toBe('pending')
    } finally {
      hold.release()
    }
    const tokens = await exchange
    expect(tokens.claims()?.sub).toBeTypeOf('string')
  })

  it('refuses a timeoutMs that is NaN, negative or no number before sending: the code stays good', async () => {
    // A NaN or negative deadline fires at once: the code was sent, spent, and its answer dropped.
    const client = await h.client({ ...SPA_CLIENT })
    const { url, transaction } = await login(client)
    for (const timeoutMs of [Number.NaN, -1, '60000' as never]) {
      const error = await client
        .handleAuthorizationResponse(url, transaction, { timeoutMs })
        .catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' })
    }
    expect(
      h.server.control.requests({ endpoint: 'token', grantType: 'authorization_code' }),
    ).toEqual([])
    const tokens = await client.handleAuthorizationResponse(url, transaction)
    expect(tokens.claims()?.sub).toBeTypeOf('string')
  })

  it('refresh() refuses such a timeoutMs too, before sending: the refresh token stays good', async () => {
    const client = await h.client({ ...SPA_CLIENT })
    const { url, transaction } = await login(client)
    const tokens = await client.handleAuthorizationResponse(url, transaction)
    const error = await client.refresh(tokens, { timeoutMs: Number.NaN }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(h.server.control.requests({ endpoint: 'token', grantType: 'refresh_token' })).toEqual([])
    expect((await client.refresh(tokens)).refreshToken).toBeTypeOf('string')
  })
})
