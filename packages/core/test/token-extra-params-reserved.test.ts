/**
 * Regression: `extraParams` of clientCredentials() and deviceAuthorization() went out as given,
 * so they could carry a second client authentication (RFC 6749 §2.3 allows one method), replace
 * the grant type, or set `resource` past its check (RFC 8707 §2: an absolute URI without a
 * fragment). Such parameters are now INVALID_ARGUMENT before any request, as in the
 * authorization request; others still reach the provider.
 */
import { describe, expect, it } from 'vitest'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer({ deviceInterval: 1 })
const m2m = () => h.client({ clientId: 'm2m', clientSecret: 'm2m-secret' })
const tv = () => h.client({ clientId: 'tv', scope: 'openid' })

describe('extraParams of token and device authorization requests', () => {
  it.each([
    [{ grant_type: 'password' }, 'grant_type'],
    [{ client_id: 'another-client' }, 'client_id'],
    [{ client_secret: 'm2m-secret' }, 'client_secret'],
    [
      { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' },
      'client_assertion_type',
    ],
    [{ client_assertion: 'eyJ...' }, 'client_assertion'],
    [{ resource: 'not a uri' }, 'the resource option'],
    [{ scope: 'api:write' }, 'the scope option'],
    [{ audience: 'https://api.example.test' }, 'the audience option'],
  ])('clientCredentials() refuses %j before any request', async (extraParams, named) => {
    const client = await m2m()
    h.server.control.clearRequests()
    const error = await client.clientCredentials({ extraParams }).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'InvalidArgumentError', code: 'INVALID_ARGUMENT' })
    expect((error as Error).message).toContain(named)
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })

  it.each([
    [{ client_id: 'another-client' }],
    [{ client_secret: 'x' }],
    [{ scope: 'openid api:read' }],
    [{ acr_values: 42 as unknown as string }],
  ])('deviceAuthorization() refuses %j before any request', async (extraParams) => {
    const client = await tv()
    h.server.control.clearRequests()
    await expect(client.deviceAuthorization({ extraParams })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    expect(h.server.control.requests({ endpoint: 'device_authorization' })).toHaveLength(0)
  })

  it('still sends other parameters', async () => {
    const bodies: string[] = []
    const recording: typeof fetch = async (input, init) => {
      bodies.push(String(init?.body ?? ''))
      return fetch(input, init)
    }
    const client = await h.client({ clientId: 'm2m', clientSecret: 'm2m-secret', fetch: recording })
    await client.clientCredentials({ scope: 'api:read', extraParams: { ui_locales: 'de' } })
    const device = await (
      await h.client({ clientId: 'tv', scope: 'openid', fetch: recording })
    ).deviceAuthorization({ extraParams: { ui_locales: 'fr' } })
    expect(device.userCode).toEqual(expect.any(String))
    const sent = bodies.map((body) => new URLSearchParams(body).get('ui_locales'))
    expect(sent.filter(Boolean)).toEqual(['de', 'fr'])
  })
})
