/**
 * Regression: `grant()` took an array for `params` as an object of parameters, sending its
 * indexes as parameter names (`0=...&1=...`), and threw a bare TypeError for `options: null`.
 * Both are now INVALID_ARGUMENT before any request, like the other argument checks of the grants
 * (and `extraParams`, which refuses arrays).
 */
import { describe, expect, it } from 'vitest'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const gateway = () =>
  h.client({
    clientId: 'exchange',
    clientSecret: 'exchange-secret',
    clientAuth: 'client_secret_post',
  })

describe('grant() argument checks', () => {
  it('refuses params that are an array', async () => {
    const client = await gateway()
    // @ts-expect-error testing bad input
    await expect(client.grant('organization_switch', ['a-token', 'acme'])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })

  it('refuses options that are null', async () => {
    const client = await gateway()
    await expect(
      // @ts-expect-error testing bad input
      client.grant('organization_switch', { token: 'a-token' }, null),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })
})
