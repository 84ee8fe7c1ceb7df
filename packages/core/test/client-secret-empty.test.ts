/**
 * Regression: an empty `clientSecret` with a client_secret_* method got past the options check
 * (it asked only for a string) and reached oauth4webapi, whose own argument check threw a plain
 * TypeError (`ERR_INVALID_ARG_VALUE`) out of `new Client()` and `discover()`: no OpenRpError,
 * no `INVALID_ARGUMENT`. It is now refused like any other unusable option.
 */
import { describe, expect, it } from 'vitest'
import { type ClientAuthMethod, Client } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const SECRET_METHODS: ClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
]

describe('an empty clientSecret', () => {
  // discover() checks the options before any request.
  it.each(SECRET_METHODS)('is INVALID_ARGUMENT for %s', async (clientAuth) => {
    await expect(h.client({ clientId: 'm2m', clientSecret: '', clientAuth })).rejects.toMatchObject(
      { code: 'INVALID_ARGUMENT' },
    )
    const metadata = { issuer: h.server.issuer, token_endpoint: `${h.server.issuer}/token` }
    expect(() => new Client(metadata, { clientId: 'm2m', clientSecret: '', clientAuth })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('is INVALID_ARGUMENT with the default method (client_secret_basic)', async () => {
    await expect(h.client({ clientId: 'm2m', clientSecret: '' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })
})
