/**
 * A provider that answers a userinfo request 400 `invalid_request` (RFC 6750 §3.1: a malformed
 * request, here an access token that is no token68) is a typed OAuthError with the provider's
 * `error` and status, not a validation failure of the answer.
 */
import { describe, expect, it } from 'vitest'
import { OAuthError } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()

describe('userinfo answered 400 invalid_request', () => {
  it('is an OAuthError with the error and status of the answer', async () => {
    const client = await h.client({ clientId: 'm2m', clientSecret: 'm2m-secret' })
    const error = await client.userinfo('two tokens').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OAuthError)
    expect(error).toMatchObject({ code: 'OAUTH_ERROR', error: 'invalid_request', status: 400 })
    // Asked once: a malformed request is not retried.
    const asked = h.server.control.requests().filter((r) => r.endpoint === 'userinfo')
    expect(asked.map((r) => r.status)).toEqual([400])
  })
})
