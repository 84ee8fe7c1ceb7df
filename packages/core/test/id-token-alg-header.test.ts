// checkIdTokenAlg reads the ID token's header as UTF-8 JSON (base64url, padding optional):
// ASCII and non-ASCII headers alike, and a header that is not valid UTF-8 is JWT_MALFORMED.
import { describe, expect, it } from 'vitest'
import type { ClientCore } from '../src/client-core.ts'
import { checkIdTokenAlg } from '../src/id-token-claims.ts'

const core = {
  options: { idTokenSignedResponseAlg: undefined },
  metadata: { issuer: 'https://op', id_token_signing_alg_values_supported: ['RS256', 'ES256'] },
} as unknown as ClientCore
const b64u = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url')
const jwt = (header: Uint8Array | string) => `${b64u(header)}.${b64u('{}')}.sig`

describe('checkIdTokenAlg header decoding', () => {
  it('reads an ASCII header', () => {
    expect(checkIdTokenAlg(core, jwt('{"alg":"ES256","kid":"k1"}'))).toBe('ES256')
  })

  it('reads a UTF-8 header with non-ASCII members', () => {
    expect(checkIdTokenAlg(core, jwt('{"alg":"RS256","kid":"clé-ключ-🔑"}'))).toBe('RS256')
  })

  it('refuses a header that is not valid UTF-8 with JWT_MALFORMED', () => {
    const bytes = new Uint8Array([...Buffer.from('{"alg":"RS256","kid":"'), 0xff, 0xfe, 0x22, 0x7d])
    expect(() => checkIdTokenAlg(core, jwt(bytes))).toThrow(
      expect.objectContaining({ code: 'JWT_MALFORMED' }),
    )
  })

  it('refuses a header that is not a JSON object, or no base64url, with JWT_MALFORMED', () => {
    for (const token of [jwt('["alg"]'), jwt('null'), 'e30!.e30.sig', jwt('{"alg":')]) {
      expect(() => checkIdTokenAlg(core, token)).toThrow(
        expect.objectContaining({ code: 'JWT_MALFORMED' }),
      )
    }
  })

  it('refuses an alg outside the allowed list with JWT_ALG_NOT_ALLOWED', () => {
    expect(() => checkIdTokenAlg(core, jwt('{"alg":"HS256"}'))).toThrow(
      expect.objectContaining({ code: 'JWT_ALG_NOT_ALLOWED' }),
    )
  })
})
