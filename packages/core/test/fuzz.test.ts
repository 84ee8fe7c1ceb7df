/**
 * Property-based fuzzing: parsers and validators answer random input with typed errors only:
 * never a TypeError, never a hang.
 */
import fc from 'fast-check'
import { base64url } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AuthTransaction,
  clientCredentials,
  createClientCore,
  handleAuthorizationResponse,
  OpenRpError,
  parseAuthorizationResponse,
  validateIdToken,
} from '../src/index.ts'
import { tokenSetFromResponse } from '../src/token-response.ts'
import { TokenSet } from '../src/token-set.ts'
import { signJwt, type TestKey, testKey } from './helpers/keys.ts'
import { type StaticProvider, startStaticProvider } from './helpers/provider.ts'
import { json } from './helpers/tiny-server.ts'
import { webUrl } from './helpers/urls.ts'

let provider: StaticProvider
let key: TestKey

beforeAll(async () => {
  key = await testKey('fuzz', 'ES256')
  provider = await startStaticProvider([key])
})
afterAll(() => provider.close())

function expectTyped(error: unknown): void {
  if (!(error instanceof OpenRpError)) throw new Error(`untyped error: ${String(error)}`)
}

const paramName = fc.constantFrom(
  'code',
  'state',
  'iss',
  'error',
  'error_description',
  'id_token',
  'access_token',
  'token_type',
  'expires_in',
  'session_state',
)
const paramValue = fc.oneof(fc.string(), fc.constant('st-1'), fc.constant('login_required'), webUrl)

describe('authorization response parser', () => {
  it('parses or refuses any input with a typed error', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.anything(), fc.string(), webUrl, fc.dictionary(paramName, paramValue)),
        fc.constantFrom('query', 'fragment', 'form_post'),
        (input, mode) => {
          try {
            const params = parseAuthorizationResponse(input, mode as 'query')
            expect(params).toBeInstanceOf(URLSearchParams)
          } catch (error) {
            expectTyped(error)
          }
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('handles random responses to a transaction with typed errors only', async () => {
    const core = provider.core({ redirectUri: 'http://127.0.0.1/cb', timeoutMs: 2000 })
    provider.server.route('/token', (_req, res) => json(res, 400, { error: 'invalid_grant' }))
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(paramName, paramValue),
        fc.constantFrom('code', 'code id_token', 'id_token token', 'id_token'),
        async (params, responseType) => {
          const transaction: AuthTransaction = {
            state: 'st-1',
            nonce: 'n-1',
            codeVerifier: 'v'.repeat(43),
            responseType: responseType as AuthTransaction['responseType'],
            redirectUri: 'http://127.0.0.1/cb',
            createdAt: 0,
            issuer: provider.metadata.issuer,
          }
          await handleAuthorizationResponse(core, params, transaction).then(
            () => {},
            (error) => expectTyped(error),
          )
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('token response handling', () => {
  const tokenish = fc.record(
    {
      access_token: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      token_type: fc.oneof(fc.constantFrom('Bearer', 'DPoP', 'bearer', ''), fc.anything()),
      expires_in: fc.oneof(fc.integer(), fc.string(), fc.double(), fc.anything()),
      refresh_token: fc.oneof(fc.string(), fc.anything()),
      scope: fc.oneof(fc.string(), fc.anything()),
      issued_token_type: fc.anything(),
    },
    { requiredKeys: [] },
  )

  it('builds a TokenSet that TokenSet.fromJSON restores, or refuses with a typed error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), tokenish), fc.boolean(), (body, dpop) => {
        let set: TokenSet
        try {
          set = tokenSetFromResponse(body as Record<string, unknown>, undefined, dpop, Date.now())
        } catch (error) {
          expectTyped(error)
          return
        }
        expect(typeof set.accessToken).toBe('string')
        if (set.expiresAt !== undefined) expect(Number.isFinite(set.expiresAt)).toBe(true)
        // What a store keeps of it must be accepted back (a refusal ends the session).
        expect(TokenSet.fromJSON(set.toJSON()).toJSON()).toEqual(set.toJSON())
      }),
      { numRuns: 3000 },
    )
  })

  it('handles random token endpoint bodies over HTTP with typed errors only', async () => {
    let body = ''
    provider.server.route('/cc-token', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(body)
    })
    const local = createClientCore(
      { ...provider.metadata, token_endpoint: `${provider.server.url}/cc-token` },
      { clientId: 'c', clientSecret: 's', retry: { maxRetries: 0 } },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json(),
          tokenish.map((t) => JSON.stringify(t)),
          fc.string(),
        ),
        async (text) => {
          body = text
          await clientCredentials(local).then(
            (set) => expect(typeof set.accessToken).toBe('string'),
            (error) => expectTyped(error),
          )
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('JWT header and claims handling', () => {
  const enc = (v: unknown) => base64url.encode(JSON.stringify(v) ?? 'null')

  it('refuses random compact strings with typed errors', async () => {
    const core = provider.core()
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc
            .tuple(fc.anything(), fc.anything(), fc.string())
            .map(([h, p, s]) => `${enc(h)}.${enc(p)}.${s}`),
          fc.tuple(fc.string(), fc.string(), fc.string()).map((parts) => parts.join('.')),
        ),
        async (token) => {
          await validateIdToken(core, token).then(
            () => {
              throw new Error('a random token was accepted')
            },
            (error) => expectTyped(error),
          )
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('validates random claims in properly signed tokens with typed errors only', async () => {
    const core = provider.core()
    const claim = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.anything(),
      fc.constant(undefined),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            iss: fc.oneof(claim, fc.constant(provider.metadata.issuer)),
            aud: fc.oneof(claim, fc.constant('client-1'), fc.constant(['client-1', 'x'])),
            sub: claim,
            exp: fc.oneof(claim, fc.constant(Math.floor(Date.now() / 1000) + 60)),
            iat: fc.oneof(claim, fc.constant(Math.floor(Date.now() / 1000))),
            nonce: claim,
            azp: claim,
            auth_time: claim,
            at_hash: claim,
          },
          { requiredKeys: [] },
        ),
        fc.dictionary(fc.constantFrom('typ', 'cty', 'crit', 'b64', 'x5t'), fc.anything()),
        async (claims, header) => {
          let token: string
          try {
            token = await signJwt(claims, { key, header })
          } catch {
            return // jose refused to sign (e.g. bad crit): nothing to validate
          }
          await validateIdToken(core, token, { nonce: 'n', accessToken: 'at', maxAge: 60 }).then(
            () => {},
            (error) => expectTyped(error),
          )
        },
      ),
      { numRuns: 500 },
    )
  })
})
