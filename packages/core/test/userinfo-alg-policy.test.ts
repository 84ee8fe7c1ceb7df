/**
 * Signed userinfo is checked with the algorithm policy of ID tokens (one policy for every JWT
 * openrp verifies): the provider's advertised algs that are strings, never `none` or HMAC, and
 * RS256 when none is left. The userinfo filter had neither the type check (a non-string value
 * failed every signed answer with USERINFO_INVALID) nor the fallback (a provider advertising
 * only HS / `none` algs had every alg refused).
 */
import { DEMO_USERS } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { Client, type ClientOptions, isOpenRpError } from '../src/index.ts'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const alice = DEMO_USERS[0]!
const options: ClientOptions = {
  clientId: 'spa',
  redirectUri: SPA_REDIRECT,
  scope: 'openid profile',
}

const outcome = (promise: Promise<{ sub: string }>) =>
  promise.then(
    (claims) => claims.sub,
    (error: unknown) => (isOpenRpError(error) ? error.code : `not typed: ${String(error)}`),
  )

describe('signed userinfo: the ID-token algorithm policy', () => {
  it('passes over advertised values that are no string and falls back to RS256', async () => {
    const client = await h.client(options)
    const { params, transaction } = await login(client)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    // The reference server signs userinfo with RS256.
    h.server.control.setFaults({ userinfo: { signed: true } })
    // Metadata as a provider may publish it, not as its type promises.
    const advertising = (algs: unknown[]) =>
      new Client(
        { ...client.core.metadata, userinfo_signing_alg_values_supported: algs as string[] },
        options,
      )
    expect(await outcome(advertising(['RS256', 42]).userinfo(tokens))).toBe(alice.sub)
    expect(await outcome(advertising(['HS256', 'none']).userinfo(tokens))).toBe(alice.sub)
    expect(await outcome(advertising([]).userinfo(tokens))).toBe(alice.sub)
    // The policy still holds: an advertised ES256 alone refuses the RS256 answer.
    expect(await outcome(advertising(['ES256']).userinfo(tokens))).toBe('JWT_ALG_NOT_ALLOWED')
  })
})
