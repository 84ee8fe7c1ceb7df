/**
 * FAPI 2.0 Security Profile (Final) client tests of the OpenID conformance suite
 * (`fapi2-message-signing-final-client-test-plan`, plain response mode): a FAPI client (PAR,
 * private_key_jwt, DPoP, ES256 ID tokens) against a provider that spoils one thing. Every
 * negative ends with the typed code, no userinfo or resource call, nothing stored.
 */
import {
  DEMO_CLIENTS,
  DEMO_PRIVATE_KEY_JWK,
  DEMO_USERS,
  type Faults,
  type IdTokenFaults,
} from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { discover } from '../../src/index.ts'
import {
  authorize,
  expectNothingStored,
  refused,
  session,
  useProvider,
  WEB_REDIRECT,
} from './harness.ts'
import { startTinyServer } from '../helpers/tiny-server.ts'

const fapiClient = {
  ...DEMO_CLIENTS.find((c) => c.client_id === 'pkjwt')!,
  client_id: 'fapi',
  id_token_signed_response_alg: 'ES256' as const,
  dpop_bound_access_tokens: true,
  require_pushed_authorization_requests: true,
}
const p = useProvider({ clients: [...DEMO_CLIENTS, fapiClient] })
const alice = DEMO_USERS[0]!

const fapi = () =>
  discover(p.server.issuer, {
    clientId: 'fapi',
    privateKey: DEMO_PRIVATE_KEY_JWK,
    redirectUri: WEB_REDIRECT,
    scope: 'openid profile',
    par: true,
    dpop: true,
    idTokenSignedResponseAlg: 'ES256',
  })

/** One FAPI login with `faults`; expects the refusal `code` before anything else is called. */
async function refusesWith(faults: Faults, code: string, tokenCalls: number) {
  const client = await fapi()
  const s = session(client)
  const response = await authorize(p, client, {}, faults)
  await refused(s.callback(response), code)
  await expectNothingStored(s.store)
  expect(p.hits('token')).toBe(tokenCalls)
  expect(p.hits('userinfo')).toBe(0)
  expect(p.hits('api')).toBe(0)
}

const idToken = (fault: IdTokenFaults): Faults => ({
  idToken: { ...fault, only: { channel: 'token' } },
})

describe('fapi2-security-profile-final-client-test-happy-path', () => {
  it('signs in with PAR, private_key_jwt and DPoP, and stores a DPoP-bound set', async () => {
    const client = await fapi()
    const s = session(client)
    const tokens = await s.callback(await authorize(p, client))
    expect(tokens.tokenType).toBe('DPoP')
    expect(tokens.claims()?.sub).toBe(alice.sub)
    expect(p.hits('token')).toBe(1)
  })

  it('-valid-aud-as-array: accepts aud as a one-element array', async () => {
    const client = await fapi()
    const s = session(client)
    await s.callback(await authorize(p, client, {}, idToken({ aud: ['fapi'] })))
    expect(s.store.writes).toHaveLength(1)
  })

  it('-token-endpoint-response-without-expires-in: accepted, expiry unknown', async () => {
    const client = await fapi()
    const s = session(client)
    const tokens = await s.callback(
      await authorize(p, client, {}, { tokenResponse: { omitExpiresIn: true } }),
    )
    expect(tokens.expiresAt).toBeUndefined()
    expect(s.store.writes).toHaveLength(1)
  })
})

describe('fapi2-security-profile-final-client-test-token-type-case-insensitivity', () => {
  it('accepts token_type "dpop" in lower case and keeps using DPoP proofs', async () => {
    const client = await fapi()
    const s = session(client)
    const tokens = await s.callback(
      await authorize(p, client, {}, { tokenResponse: { tokenType: 'dpop' } }),
    )
    expect(tokens.tokenType).toBe('DPoP')
    const me = await client.fetchProtectedResource(`${p.server.issuer}/api/me`, tokens)
    expect(me.status).toBe(200)
  })

  it('refuses token_type "bearer" (any case) for a DPoP request: the binding was dropped', () =>
    refusesWith({ tokenResponse: { tokenType: 'bearer' } }, 'DPOP_BINDING_MISSING', 1))
})

describe('fapi2-security-profile-final-client-test-rs-dpop-auth-scheme-case-insensitivity', () => {
  it('retries once when a resource server demands a nonce with a lower-case "dpop" scheme', async () => {
    const client = await fapi()
    const tokens = await session(client).callback(await authorize(p, client))
    const rs = await startTinyServer()
    const nonces: Array<string | undefined> = []
    rs.route('/resource', (req, res) => {
      const proof = String(req.headers.dpop ?? '')
      const payload = JSON.parse(
        Buffer.from(proof.split('.')[1] ?? '', 'base64url').toString() || '{}',
      )
      nonces.push(payload.nonce)
      if (payload.nonce !== 'rs-nonce-1') {
        res
          .writeHead(401, {
            'www-authenticate': 'dpop error="use_dpop_nonce", error_description="nonce required"',
            'dpop-nonce': 'rs-nonce-1',
          })
          .end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    })
    try {
      const response = await client.fetchProtectedResource(`${rs.url}/resource`, tokens)
      expect(response.status).toBe(200)
      expect(nonces).toEqual([undefined, 'rs-nonce-1'])
    } finally {
      await rs.close()
    }
  })
})

describe('fapi2-security-profile-final-client-test-* (ID token from the token endpoint)', () => {
  it.each<[string, IdTokenFaults, string]>([
    ['invalid-iss', { iss: 'https://op.example.test' }, 'ID_TOKEN_ISS_MISMATCH'],
    ['invalid-aud', { aud: 'another-client' }, 'ID_TOKEN_AUD_MISMATCH'],
    [
      'invalid-secondary-aud',
      { aud: ['fapi', 'untrusted-client'], azp: null },
      'ID_TOKEN_AZP_MISMATCH',
    ],
    ['invalid-null-alg', { alg: 'none' }, 'JWT_ALG_NOT_ALLOWED'],
    ['invalid-alternate-alg', { alg: 'RS256' }, 'JWT_ALG_NOT_ALLOWED'],
    ['invalid-expired-exp', { expOffset: -300 }, 'ID_TOKEN_EXPIRED'],
    ['invalid-missing-exp', { expOffset: null }, 'ID_TOKEN_CLAIM_MISSING'],
    ['invalid-missing-aud', { aud: null }, 'ID_TOKEN_CLAIM_MISSING'],
    ['invalid-missing-iss', { iss: null }, 'ID_TOKEN_CLAIM_MISSING'],
    ['invalid-nonce', { nonce: 'another-nonce' }, 'ID_TOKEN_NONCE_MISMATCH'],
    ['invalid-missing-nonce', { nonce: null }, 'ID_TOKEN_NONCE_MISMATCH'],
    ['invalid-signature', { badSignature: true }, 'JWT_SIGNATURE_INVALID'],
  ])('-%s', (_id, fault, code) => refusesWith(idToken(fault), code, 1))
})

describe('fapi2-security-profile-final-client-test-* (authorization response)', () => {
  it.each<[string, NonNullable<Faults['authorizationResponse']>, string]>([
    ['invalid-authorization-response-iss', { iss: 'wrong' }, 'ISS_MISMATCH'],
    ['remove-authorization-response-iss', { iss: 'missing' }, 'ISS_MISSING'],
    [
      'ensure-authorization-response-with-invalid-state-fails',
      { state: 'wrong' },
      'STATE_MISMATCH',
    ],
    [
      'ensure-authorization-response-with-invalid-missing-state-fails',
      { state: 'missing' },
      'STATE_MISSING',
    ],
  ])('-%s', (_id, fault, code) => refusesWith({ authorizationResponse: fault }, code, 0))
})

describe('fapi2-security-profile-final-client-test-discovery-issuer-mismatch', () => {
  it('refuses discovery naming another issuer', async () => {
    p.server.control.setFaults({ discoveryIssuer: 'https://op.example.test' })
    await refused(fapi(), 'DISCOVERY_ISSUER_MISMATCH')
    expect(p.hits('par')).toBe(0)
  })
})
