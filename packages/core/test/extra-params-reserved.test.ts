/**
 * Regression: authorization parameters with an option of their own cannot come in through
 * `extraParams`. `extraParams.max_age` reached the provider while the transaction had no
 * `maxAge`, so `auth_time` went unchecked; `scope` was overwritten silently, `response_mode`
 * went unrecorded; a non-string scope crashed with a bare TypeError.
 */
import { describe, expect, it } from 'vitest'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const spa = () => h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT, scope: 'openid profile' })

describe('extraParams cannot bypass the transaction', () => {
  it('max_age only through maxAge, which is then checked against auth_time', async () => {
    const client = await spa()
    await expect(
      client.createAuthorizationRequest({ extraParams: { max_age: '60' } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    const { params, transaction } = await login(client, { maxAge: 60 })
    expect(transaction.maxAge).toBe(60)
    h.server.control.setFaults({ idToken: { authTimeOffset: -3600 } })
    await expect(client.handleAuthorizationResponse(params, transaction)).rejects.toMatchObject({
      code: 'ID_TOKEN_AUTH_TIME_INVALID',
    })
  })

  it.each<Record<string, string>>([
    { scope: 'openid api:write' },
    { response_mode: 'form_post' },
    { prompt: 'none' },
    { login_hint: 'bob' },
    { acr_values: 'mfa' },
    { ui_locales: 'de' },
  ])('refuses extraParams %j before any request (PAR included)', async (extraParams) => {
    const client = await spa()
    h.server.control.clearRequests()
    await expect(
      client.createAuthorizationRequest({ extraParams, par: true }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(h.server.control.requests({ endpoint: 'par' })).toHaveLength(0)
  })

  it('refuses a non-string scope and non-object extraParams; other extraParams pass', async () => {
    const client = await spa()
    for (const options of [{ scope: 42 }, { scope: ['openid'] }, { extraParams: 'max_age=60' }]) {
      // @ts-expect-error testing bad input
      const error = await client.createAuthorizationRequest(options).catch((e) => e)
      expect(error, JSON.stringify(options)).toMatchObject({ code: 'INVALID_ARGUMENT' })
    }
    // Other extraParams still reach the provider, and the login completes.
    const { params, transaction, requestUrl } = await login(client, {
      extraParams: { claims_locales: 'de' },
    })
    expect(requestUrl.searchParams.get('claims_locales')).toBe('de')
    await expect(client.handleAuthorizationResponse(params, transaction)).resolves.toMatchObject({
      tokenType: 'Bearer',
    })
  })
})
