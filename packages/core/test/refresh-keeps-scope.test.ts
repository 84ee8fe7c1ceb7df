/**
 * A refresh answer may leave `scope` out when the scope granted is the one requested (RFC 6749
 * §5.1); without a `scope` parameter, the one requested is the one granted before (§6).
 */
import { describe, expect, it } from 'vitest'
import { useReferenceServer } from './helpers/reference.ts'
import { login, SPA_CLIENT } from './helpers/session.ts'

const h = useReferenceServer()

describe('a refresh answer without scope', () => {
  it('keeps the scope of the set refreshed', async () => {
    const client = await h.client(SPA_CLIENT)
    const tokens = await login(client)
    expect(tokens.scope).toBe('openid offline_access')
    h.server.control.setFaults({ tokenResponse: { omitScope: true, times: 1 } })
    const fresh = await client.refresh(tokens)
    expect(fresh.accessToken).not.toBe(tokens.accessToken)
    expect(fresh.scope).toBe('openid offline_access')
  })

  it('is the scope asked for when the refresh narrowed it', async () => {
    const client = await h.client(SPA_CLIENT)
    const tokens = await login(client)
    h.server.control.setFaults({ tokenResponse: { omitScope: true, times: 1 } })
    const fresh = await client.refresh(tokens, { scope: 'openid' })
    expect(fresh.scope).toBe('openid')
  })
})
