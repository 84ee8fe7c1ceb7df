/**
 * Regression: an empty access token passed for a token. `TokenSet.fromJSON` accepted
 * `accessToken: ''` (a store entry read back as a set that authorizes nothing), and
 * `tokenSetFromResponse` built such a set from `access_token: ""`. Both refuse it now with the
 * code of their other refusals; only the ID-token-only set of an `id_token` response (type
 * `none`) has no access token (see token-set-from-json.test.ts). At the token endpoint,
 * oauth4webapi refuses it first: pinned here over HTTP.
 */
import { describe, expect, it } from 'vitest'
import { tokenSetFromResponse } from '../src/token-response.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()

describe('an empty access token', () => {
  it('in a token response body is refused with TOKEN_RESPONSE_INVALID', () => {
    expect(() =>
      tokenSetFromResponse({ access_token: '', token_type: 'Bearer' }, undefined, false, 0),
    ).toThrow(expect.objectContaining({ code: 'TOKEN_RESPONSE_INVALID' }))
  })

  it.each<[string, unknown]>([
    ['empty', ''],
    ['a number', 42],
  ])(
    'from the token endpoint (%s) is TOKEN_RESPONSE_INVALID, not retried',
    async (_name, value) => {
      const client = await h.client({ clientId: 'm2m', clientSecret: 'm2m-secret' })
      h.server.control.setFaults({ tokenResponse: { accessToken: value } })
      await expect(client.clientCredentials({ scope: 'api:read' })).rejects.toMatchObject({
        code: 'TOKEN_RESPONSE_INVALID',
      })
      expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(1)
    },
  )
})
