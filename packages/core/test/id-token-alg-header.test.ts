// validateIdToken reads the ID token's header through jose (base64url UTF-8 JSON): ASCII and
// non-ASCII headers alike reach key selection; a header that is not valid UTF-8, not a JSON
// object or not base64url is JWT_MALFORMED; an alg outside the policy is JWT_ALG_NOT_ALLOWED.
import { describe, expect, it } from 'vitest'
import type { ClientCore } from '../src/client-core.ts'
import { systemClock } from '../src/clock.ts'
import { validateIdToken } from '../src/id-token.ts'
import type { JwksCache } from '../src/jwks.ts'

const emptyJwks: JwksCache = {
  fetchCount: 1,
  fresh: () => undefined,
  current: async () => ({ jwks: { keys: [] }, generation: 1, at: Date.now() }),
  refetch: async () => undefined,
}
const core = {
  options: {
    idTokenSignedResponseAlg: undefined,
    clientId: 'c',
    clockToleranceSec: 0,
    clock: systemClock,
  },
  metadata: { issuer: 'https://op', id_token_signing_alg_values_supported: ['RS256', 'ES256'] },
  jwks: emptyJwks,
} as unknown as ClientCore
const b64u = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url')
const jwt = (header: Uint8Array | string) => `${b64u(header)}.${b64u('{}')}.${b64u('sig')}`

describe('validateIdToken header decoding', () => {
  it('reads an ASCII header (up to key selection)', async () => {
    await expect(validateIdToken(core, jwt('{"alg":"ES256","kid":"k1"}'))).rejects.toMatchObject({
      code: 'JWKS_NO_MATCHING_KEY',
    })
  })

  it('reads a UTF-8 header with non-ASCII members (up to key selection)', async () => {
    await expect(
      validateIdToken(core, jwt('{"alg":"RS256","kid":"clé-ключ-🔑"}')),
    ).rejects.toMatchObject({ code: 'JWKS_NO_MATCHING_KEY' })
  })

  it('refuses a header that is not valid UTF-8 with JWT_MALFORMED', async () => {
    const bytes = new Uint8Array([...Buffer.from('{"alg":"RS256","kid":"'), 0xff, 0xfe, 0x22, 0x7d])
    await expect(validateIdToken(core, jwt(bytes))).rejects.toMatchObject({
      code: 'JWT_MALFORMED',
    })
  })

  it('refuses a header that is not a JSON object, or no base64url, with JWT_MALFORMED', async () => {
    for (const token of [jwt('["alg"]'), jwt('null'), 'e30!.e30.sig', jwt('{"alg":')]) {
      await expect(validateIdToken(core, token)).rejects.toMatchObject({ code: 'JWT_MALFORMED' })
    }
  })

  it('refuses an alg outside the allowed list with JWT_ALG_NOT_ALLOWED', async () => {
    await expect(validateIdToken(core, jwt('{"alg":"HS256"}'))).rejects.toMatchObject({
      code: 'JWT_ALG_NOT_ALLOWED',
    })
  })
})
