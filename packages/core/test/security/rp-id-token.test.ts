/**
 * OpenID Foundation RP certification, ID token cases (Basic, Implicit, Hybrid profiles:
 * `rp-id_token-*`), each run for every response type the profiles run it with. A spoiled ID
 * token must be refused with its typed code, before the token endpoint when it came on the
 * front channel, before userinfo when it came from the token endpoint, and nothing is stored.
 */
import { DEMO_CLIENTS, DEMO_USERS, type IdTokenFaults } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { discover, type ResponseType } from '../../src/index.ts'
import {
  ALL_RESPONSE_TYPES,
  authorize,
  expectNothingStored,
  FRONT_ID_TOKEN,
  hasCode,
  refused,
  refusesLogin,
  session,
  SPA_REDIRECT,
  useProvider,
} from './harness.ts'

const spaEs256 = {
  ...DEMO_CLIENTS.find((c) => c.client_id === 'legacy-spa')!,
  client_id: 'spa-es256',
  id_token_signed_response_alg: 'ES256' as const,
}
const p = useProvider({ clients: [...DEMO_CLIENTS, spaEs256] })
const alice = DEMO_USERS[0]!

/** Runs one login with an ID-token fault and checks the refusal, the store and the log. */
async function refusesIdToken(
  responseType: ResponseType,
  fault: IdTokenFaults,
  code: string,
): Promise<void> {
  await refusesLogin(p, responseType, { idToken: fault }, code)
  // A front-channel ID token is checked before the code is redeemed.
  if (FRONT_ID_TOKEN.includes(responseType)) expect(p.hits('token')).toBe(0)
  expect(p.hits('userinfo')).toBe(0)
}

/** Response types whose ID token carries `c_hash` / `at_hash` on the front channel. */
const WITH_C_HASH: ResponseType[] = ['code id_token', 'code id_token token']
const WITH_AT_HASH: ResponseType[] = ['id_token token', 'code id_token token']

describe('rp-response_type-* (the profiles happy paths)', () => {
  it.each(ALL_RESPONSE_TYPES)('rp-response_type-%s: accepted and stored', async (responseType) => {
    const client = await p.legacy()
    const s = session(client)
    await s.callback(await authorize(p, client, { responseType }))
    expect((await s.manager.getTokenSet())?.claims()?.sub).toBe(alice.sub)
    expect(p.hits('token')).toBe(hasCode(responseType) ? 1 : 0)
  })
})

describe('rp-token_endpoint-client_secret_basic', () => {
  it('a confidential client authenticates with client_secret_basic and is served', async () => {
    const client = await p.web()
    const s = session(client)
    await s.callback(await authorize(p, client))
    expect(p.server.control.requests({ endpoint: 'token' })[0]?.clientId).toBe('web')
    expect(s.store.writes).toHaveLength(1)
  })

  it('a wrong secret is refused by the provider and nothing is stored', async () => {
    const client = await p.web({ clientSecret: 'not-the-web-secret' })
    const s = session(client)
    const error = await refused(s.callback(await authorize(p, client)), 'OAUTH_ERROR')
    expect(error).toMatchObject({ error: 'invalid_client' })
    await expectNothingStored(s.store)
  })
})

describe.each(ALL_RESPONSE_TYPES)('response_type=%s', (responseType) => {
  it('rp-id_token-issuer-mismatch: refuses another iss', () =>
    refusesIdToken(responseType, { iss: 'https://op.example.test' }, 'ID_TOKEN_ISS_MISMATCH'))

  it('rp-id_token-sub: refuses a token without sub', () =>
    refusesIdToken(responseType, { sub: null }, 'ID_TOKEN_CLAIM_MISSING'))

  it('rp-id_token-aud: refuses an aud that is not this client', () =>
    refusesIdToken(responseType, { aud: 'another-client' }, 'ID_TOKEN_AUD_MISMATCH'))

  it('rp-id_token-iat: refuses a token without iat', () =>
    refusesIdToken(responseType, { iatOffset: null }, 'ID_TOKEN_CLAIM_MISSING'))

  it('rp-id_token-bad-sig-rs256: refuses a bad RS256 signature', () =>
    refusesIdToken(responseType, { badSignature: true }, 'JWT_SIGNATURE_INVALID'))

  it('rp-id_token-sig-none: refuses alg none', () =>
    refusesIdToken(responseType, { alg: 'none' }, 'JWT_ALG_NOT_ALLOWED'))

  it('oidcc-client-test-invalid-sig-hs256: refuses HS256 keyed with the client id', () =>
    refusesIdToken(responseType, { alg: 'HS256' }, 'JWT_ALG_NOT_ALLOWED'))

  it('rp-nonce-invalid: refuses another nonce', () =>
    refusesIdToken(responseType, { nonce: 'not-the-transaction-nonce' }, 'ID_TOKEN_NONCE_MISMATCH'))

  it('refuses a key the JWKS does not publish (unknown kid)', () =>
    refusesIdToken(responseType, { kid: 'unknown' }, 'JWKS_NO_MATCHING_KEY'))

  it('refuses a token signed by an unpublished key', () =>
    refusesIdToken(responseType, { unlistedKey: true }, 'JWKS_NO_MATCHING_KEY'))

  it('rp-id_token-sig-rs256: accepts an RS256 signature (kid present)', async () => {
    const client = await p.legacy()
    const s = session(client)
    const tokens = await s.callback(await authorize(p, client, { responseType }))
    expect(tokens.claims()?.iss).toBe(p.server.issuer)
    expect(s.store.writes).toHaveLength(1)
  })

  it('rp-id_token-kid-absent-single-jwks: accepts a token without kid when one key fits', async () => {
    await p.server.control.rotateKeys({ dropOld: true }) // exactly one RS256 key published
    expect((await (await fetch(`${p.server.issuer}/jwks`)).json()).keys).toHaveLength(2) // RS256 + ES256
    const client = await p.legacy()
    const s = session(client)
    await s.callback(await authorize(p, client, { responseType }, { idToken: { kid: 'missing' } }))
    expect((await s.manager.getTokenSet())?.claims()?.sub).toBe(alice.sub)
  })

  it('rp-id_token-kid-absent-multiple-jwks: tries each published key when kid is absent', async () => {
    await p.server.control.rotateKeys() // the old keys stay published: two RS256 keys
    const client = await p.legacy()
    const s = session(client)
    await s.callback(await authorize(p, client, { responseType }, { idToken: { kid: 'missing' } }))
    expect((await s.manager.getTokenSet())?.claims()?.sub).toBe(alice.sub)
  })
})

describe.each(WITH_C_HASH)('response_type=%s (c_hash)', (responseType) => {
  it('rp-id_token-bad-c_hash: refuses a wrong c_hash', () =>
    refusesIdToken(responseType, { cHash: 'wrong' }, 'ID_TOKEN_C_HASH_MISMATCH'))

  it('rp-id_token-missing-c_hash: refuses a front-channel token without c_hash', () =>
    refusesIdToken(responseType, { cHash: null }, 'ID_TOKEN_C_HASH_MISMATCH'))
})

describe.each(WITH_AT_HASH)('response_type=%s (at_hash)', (responseType) => {
  it('rp-id_token-bad-at_hash: refuses a wrong at_hash', () =>
    refusesIdToken(responseType, { atHash: 'wrong' }, 'ID_TOKEN_AT_HASH_MISMATCH'))

  it('rp-id_token-missing-at_hash: refuses a front-channel token without at_hash', () =>
    refusesIdToken(responseType, { atHash: null }, 'ID_TOKEN_AT_HASH_MISMATCH'))
})

describe('ID tokens from the token endpoint are verified too (hybrid: the second token)', () => {
  const HYBRID_FRONT: ResponseType[] = ['code id_token', 'code id_token token']
  it.each<[string, IdTokenFaults, string]>([
    ['a bad signature', { badSignature: true }, 'JWT_SIGNATURE_INVALID'],
    ['alg none', { alg: 'none' }, 'JWT_ALG_NOT_ALLOWED'],
    ['another iss', { iss: 'https://op.example.test' }, 'ID_TOKEN_ISS_MISMATCH'],
    ['another nonce', { nonce: 'other' }, 'ID_TOKEN_NONCE_MISMATCH'],
    ['another sub than the front-channel token', { sub: 'someone-else' }, 'ID_TOKEN_SUB_MISMATCH'],
    ['a wrong at_hash', { atHash: 'wrong' }, 'ID_TOKEN_AT_HASH_MISMATCH'],
  ])('refuses %s', async (_name, fault, code) => {
    for (const responseType of HYBRID_FRONT) {
      await refusesLogin(
        p,
        responseType,
        { idToken: { ...fault, only: { channel: 'token' } } },
        code,
      )
      expect(p.hits('token')).toBe(1)
    }
  })
})

describe('ID token lifetime claims', () => {
  it.each<[string, IdTokenFaults, string]>([
    ['expired a minute ago', { expOffset: -60 - 30 }, 'ID_TOKEN_EXPIRED'],
    ['without exp', { expOffset: null }, 'ID_TOKEN_CLAIM_MISSING'],
    ['iat an hour in the future', { iatOffset: 3600 }, 'ID_TOKEN_IAT_INVALID'],
    ['iat a day in the past', { iatOffset: -86_400, expOffset: 600 }, 'ID_TOKEN_IAT_INVALID'],
  ])('refuses a token %s (code and implicit)', async (_name, fault, code) => {
    await refusesIdToken('code', fault, code)
    await refusesIdToken('id_token', fault, code)
  })

  it('refuses auth_time older than max_age, and a missing auth_time when max_age was asked', async () => {
    for (const authTimeOffset of [-3600, null]) {
      const client = await p.spa()
      const s = session(client)
      const response = await authorize(p, client, { maxAge: 60 }, { idToken: { authTimeOffset } })
      await refused(s.callback(response), 'ID_TOKEN_AUTH_TIME_INVALID')
      await expectNothingStored(s.store)
    }
  })
})

describe('rp-id_token-sig-es256 / oidcc-client-test-invalid-sig-es256', () => {
  const es256Client = () =>
    discover(p.server.issuer, { clientId: 'spa-es256', redirectUri: SPA_REDIRECT, scope: 'openid' })

  it('accepts an ES256-signed ID token', async () => {
    const client = await es256Client()
    const s = session(client)
    const tokens = await s.callback(await authorize(p, client, { responseType: 'code id_token' }))
    expect(tokens.claims()?.sub).toBe(alice.sub)
  })

  it('refuses a bad ES256 signature', async () => {
    const client = await es256Client()
    const s = session(client)
    const response = await authorize(
      p,
      client,
      { responseType: 'code id_token' },
      { idToken: { badSignature: true } },
    )
    await refused(s.callback(response), 'JWT_SIGNATURE_INVALID')
    await expectNothingStored(s.store)
    expect(p.hits('token')).toBe(0)
  })
})

describe('kid absent, several keys, none of which verifies', () => {
  it.each<ResponseType>(['code', 'id_token'])(
    '%s: every candidate key fails → JWT_SIGNATURE_INVALID, nothing stored',
    async (responseType) => {
      await p.server.control.rotateKeys() // two RS256 keys published
      await refusesIdToken(
        responseType,
        { kid: 'missing', badSignature: true },
        'JWT_SIGNATURE_INVALID',
      )
    },
  )
})
