/**
 * JWKS rotation: an unknown `kid` triggers one refetch, merged across concurrent validations
 * (one client, one cache); a rotation just before signing is followed; repeated unknown kids
 * do not make the client hammer the `jwks_uri` (a cooldown bounds refetches).
 */
import { DEMO_USERS } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { validateIdToken } from '../../src/index.ts'
import { idTokenClaims, signJwt, testKey } from '../helpers/keys.ts'
import { startStaticProvider } from '../helpers/provider.ts'
import { json } from '../helpers/tiny-server.ts'
import { type Authorized, authorize, refused, session, useProvider } from './harness.ts'

const p = useProvider()
const alice = DEMO_USERS[0]!

describe('one merged refetch', () => {
  it('8 concurrent callbacks signed with a freshly rotated key share one JWKS refetch', async () => {
    const client = await p.spa()
    await session(client).callback(await authorize(p, client)) // the cache holds the old keys
    const responses: Authorized[] = []
    for (let i = 0; i < 8; i++) responses.push(await authorize(p, client))
    await p.server.control.rotateKeys({ dropOld: true })
    p.server.control.clearRequests()
    const results = await Promise.all(responses.map((r) => session(client).callback(r)))
    expect(results.map((t) => t.claims()?.sub)).toEqual(Array(8).fill(alice.sub))
    expect(p.hits('jwks')).toBe(1)
  })

  it('a rotation just before signing (implicit, front channel) costs one refetch', async () => {
    const client = await p.legacy()
    await session(client).callback(await authorize(p, client, { responseType: 'id_token' }))
    await p.server.control.rotateKeys({ dropOld: true })
    const tokens = await session(client).callback(
      await authorize(p, client, { responseType: 'id_token' }),
    )
    expect(tokens.claims()?.sub).toBe(alice.sub)
    expect(p.hits('jwks')).toBe(1)
  })
})

describe('no hammering of the jwks_uri', () => {
  it('10 tokens with unknown kids in a row: at most one refetch, each refused', async () => {
    const client = await p.legacy()
    await session(client).callback(await authorize(p, client, { responseType: 'id_token' }))
    let jwks = 0
    for (let i = 0; i < 10; i++) {
      const response = await authorize(
        p,
        client,
        { responseType: 'id_token' },
        { idToken: { kid: 'unknown' } },
      )
      await refused(session(client).callback(response), 'JWKS_NO_MATCHING_KEY')
      jwks += p.hits('jwks')
    }
    expect(jwks).toBe(1)
  })

  it('5 concurrent tokens with unknown kids: one refetch', async () => {
    const client = await p.legacy()
    await session(client).callback(await authorize(p, client, { responseType: 'id_token' }))
    const responses: Authorized[] = []
    for (let i = 0; i < 5; i++)
      responses.push(
        await authorize(p, client, { responseType: 'id_token' }, { idToken: { kid: 'unknown' } }),
      )
    p.server.control.clearRequests()
    const outcomes = await Promise.allSettled(responses.map((r) => session(client).callback(r)))
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true)
    expect(p.hits('jwks')).toBe(1)
  })

  it('after the cooldown (of the client clock) an unknown kid may refetch again, once', async () => {
    const clock = new ManualClock(Date.now())
    const client = await p.legacy({ jwksCooldownMs: 200, clock })
    await session(client).callback(await authorize(p, client, { responseType: 'id_token' }))
    const unknown = () =>
      authorize(p, client, { responseType: 'id_token' }, { idToken: { kid: 'unknown' } })
    await refused(session(client).callback(await unknown()), 'JWKS_NO_MATCHING_KEY')
    expect(p.hits('jwks')).toBe(1)
    await clock.advance(199)
    await refused(session(client).callback(await unknown()), 'JWKS_NO_MATCHING_KEY')
    expect(p.hits('jwks')).toBe(0)
    await clock.advance(1)
    await refused(session(client).callback(await unknown()), 'JWKS_NO_MATCHING_KEY')
    expect(p.hits('jwks')).toBe(1)
  })
})

describe('oidcc-client-test-ignores-unparseable-key-in-jwks', () => {
  it('ignores keys it cannot use (unknown kty, a post-quantum-shaped key) and verifies with the real one', async () => {
    const key = await testKey('real-key', 'ES256')
    const provider = await startStaticProvider([key])
    provider.server.route('/jwks', (_req, res) =>
      json(res, 200, {
        keys: [
          { kty: 'AKP', alg: 'ML-DSA-99', kid: 'pq-1', pub: 'not-a-real-key' },
          { kty: 'MADE-UP', kid: 'x-1', crv: 'nothing' },
          key.publicJwk,
        ],
      }),
    )
    try {
      const core = provider.core()
      const claims = idTokenClaims(provider.metadata.issuer, 'client-1')
      for (const token of [
        await signJwt(claims, { key }),
        await signJwt(claims, { key, noKid: true }),
      ])
        await expect(validateIdToken(core, token, { nonce: 'n-1' })).resolves.toMatchObject({
          sub: 'user-1',
        })
      await refused(
        validateIdToken(core, await signJwt(claims, { key, header: { kid: 'pq-1' } }), {
          nonce: 'n-1',
        }),
        'JWKS_NO_MATCHING_KEY',
      )
    } finally {
      await provider.close()
    }
  })
})
