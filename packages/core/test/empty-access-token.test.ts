/**
 * Regression: an empty access token passed for a token. `TokenSet.fromJSON` accepted
 * `accessToken: ''` (a store entry read back as a set that authorizes nothing), and
 * `tokenSetFromResponse` built such a set from `access_token: ""`. Both refuse it now with the
 * code of their other refusals; only the ID-token-only set of an `id_token` response (type
 * `none`) has no access token (see token-set-from-json.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { tokenSetFromResponse } from '../src/token-response.ts'

describe('an empty access token', () => {
  it('in a token response body is refused with TOKEN_RESPONSE_INVALID', () => {
    expect(() =>
      tokenSetFromResponse({ access_token: '', token_type: 'Bearer' }, undefined, false, 0),
    ).toThrow(expect.objectContaining({ code: 'TOKEN_RESPONSE_INVALID' }))
  })
})
