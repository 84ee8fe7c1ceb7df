/// <reference types="node" />
/**
 * Property-based fuzzing (fast-check) of what a hostile provider or attacker controls: the
 * authorization response, the token endpoint's body, and JWT headers and claims (unsigned
 * garbage and well-signed tokens with ill-typed claims). Every input ends in a value or an
 * openrp error with a `code`: never a TypeError, never a hang.
 */
import fc from 'fast-check'
import { base64url, CompactSign } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AuthTransaction,
  type ClientCore,
  Client,
  isOpenRpError,
  parseAuthorizationResponse,
  validateIdToken,
  validateLogoutToken,
} from '../../src/index.ts'
import { type TestKey, testKey } from '../helpers/keys.ts'
import { type StaticProvider, startStaticProvider } from '../helpers/provider.ts'
import { json } from '../helpers/tiny-server.ts'
import { webUrl } from '../helpers/urls.ts'

let provider: StaticProvider
let key: TestKey
let client: Client
let core: ClientCore
/** What the fuzzed token endpoint answers next. */
let tokenBody = ''
let tokenStatus = 200

beforeAll(async () => {
  key = await testKey('fuzz-key', 'ES256')
  provider = await startStaticProvider([key])
  provider.server.route('/token', (_req, res) => {
    res.writeHead(tokenStatus, { 'content-type': 'application/json' }).end(tokenBody)
  })
  provider.server.route('/userinfo', (_req, res) => json(res, 200, { sub: 'user-1' }))
  client = new Client(
    { ...provider.metadata, authorization_response_iss_parameter_supported: true },
    {
      clientId: 'client-1',
      redirectUri: 'http://127.0.0.1:4001/cb',
      timeoutMs: 2000,
      retry: { maxRetries: 0 },
    },
  )
  core = client.core
})
afterAll(() => provider.close())

/** Runs `fn`; passes when it settles in time with a value or a coded openrp error. */
async function settlesTyped(fn: () => unknown): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('hang: no answer within 3 s')), 3000)
  })
  try {
    await Promise.race([Promise.resolve().then(fn), hang])
  } catch (error) {
    if (!isOpenRpError(error)) throw error
    expect(typeof error.code).toBe('string')
  } finally {
    clearTimeout(timer)
  }
}

const b64 = (value: unknown) =>
  base64url.encode(typeof value === 'string' ? value : JSON.stringify(value))

/** Plausible and implausible values for a claim or parameter. */
const claimValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
  fc.constantFrom('client-1', 'user-1', 'n-1', 'RS256', 'ES256', 'none', 'HS256'),
)

describe('authorization response parser', () => {
  it('parseAuthorizationResponse: any input, any mode', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.string(),
          webUrl,
          fc.dictionary(fc.string(), claimValue),
          fc.array(fc.tuple(fc.string(), fc.string())).map((pairs) => new URLSearchParams(pairs)),
        ),
        fc.constantFrom('query', 'fragment', 'form_post', 'bogus'),
        (input, mode) => settlesTyped(() => parseAuthorizationResponse(input, mode as never)),
      ),
      { numRuns: 1500 },
    )
  })

  it('handleAuthorizationResponse: random parameters against a real transaction', async () => {
    const { transaction } = await client.createAuthorizationRequest({
      responseType: 'code id_token',
    })
    const param = fc.oneof(
      fc.string(),
      fc.constant(transaction.state),
      fc.constant(provider.metadata.issuer),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            state: param,
            iss: param,
            code: fc.string(),
            id_token: fc.string(),
            error: fc.string(),
            access_token: fc.string(),
          },
          { requiredKeys: [] },
        ),
        fc.oneof(fc.constant(transaction as unknown), fc.anything()),
        (params, tx) =>
          settlesTyped(() => client.handleAuthorizationResponse(params, tx as AuthTransaction)),
      ),
      { numRuns: 600 },
    )
  })
})

describe('token endpoint response', () => {
  it('refresh(): any body and status from the token endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc
            .record(
              {
                access_token: claimValue,
                token_type: fc.oneof(claimValue, fc.constantFrom('Bearer', 'bearer', 'DPoP')),
                expires_in: claimValue,
                refresh_token: claimValue,
                id_token: claimValue,
                scope: claimValue,
                error: claimValue,
              },
              { requiredKeys: [] },
            )
            .map((body) => JSON.stringify(body)),
        ),
        fc.constantFrom(200, 200, 200, 400, 401, 500),
        async (body, status) => {
          tokenBody = body
          tokenStatus = status
          await settlesTyped(() => client.refresh('a-refresh-token'))
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('JWT header and claims', () => {
  const header = fc.record(
    {
      alg: fc.oneof(claimValue, fc.constantFrom('ES256', 'RS256')),
      kid: fc.oneof(claimValue, fc.constant('fuzz-key')),
      typ: claimValue,
      crit: claimValue,
      b64: claimValue,
    },
    { requiredKeys: [] },
  )
  const claims = fc.record(
    {
      iss: fc.oneof(claimValue, fc.constant('ISSUER')),
      sub: claimValue,
      aud: fc.oneof(claimValue, fc.constant('client-1')),
      azp: claimValue,
      exp: claimValue,
      iat: claimValue,
      nbf: claimValue,
      nonce: claimValue,
      auth_time: claimValue,
      at_hash: claimValue,
      c_hash: claimValue,
      events: claimValue,
      sid: claimValue,
      jti: claimValue,
    },
    { requiredKeys: [] },
  )
  const fixIssuer = (c: Record<string, unknown>) =>
    c.iss === 'ISSUER' ? { ...c, iss: provider.metadata.issuer } : c

  it('unsigned garbage: random header, claims and signature', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(header.map(b64), fc.string()),
        fc.oneof(
          claims.map((c) => b64(c)),
          fc.string(),
        ),
        fc.oneof(fc.string(), fc.base64String()),
        fc.record({
          accessToken: fc.option(fc.string(), { nil: undefined }),
          maxAge: fc.option(fc.integer(), { nil: undefined }),
        }),
        (h, c, sig, expected) =>
          settlesTyped(async () => {
            const jwt = `${h}.${c}.${sig}`
            await validateIdToken(core, jwt, { nonce: 'n-1', ...expected })
            await validateLogoutToken(core, jwt).catch((e) => {
              if (!isOpenRpError(e)) throw e
            })
          }),
      ),
      { numRuns: 1500 },
    )
  })

  it('well-signed tokens with ill-typed claims: refused with a code or accepted, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(claims, fc.option(fc.string(), { nil: undefined }), (c, accessToken) =>
        settlesTyped(async () => {
          // CompactSign, not SignJWT: the claims must reach the client as ill-typed as they are.
          const payload = new TextEncoder().encode(JSON.stringify(fixIssuer(c)))
          const jwt = await new CompactSign(payload)
            .setProtectedHeader({ alg: key.alg, kid: key.kid })
            .sign(key.privateKey)
          await validateIdToken(core, jwt, { nonce: 'n-1', accessToken, maxAge: 60 })
          await validateLogoutToken(core, jwt).catch((e) => {
            if (!isOpenRpError(e)) throw e
          })
        }),
      ),
      { numRuns: 500 },
    )
  })
})
