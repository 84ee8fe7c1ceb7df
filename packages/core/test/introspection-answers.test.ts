/**
 * Regression: an introspection answer for an inactive token came back with whatever claims the
 * provider put beside `active: false` (RFC 7662 §2.2: it SHOULD NOT send any), so an app that
 * read `scope` or `sub` without `active` saw them. And a JWT answer (RFC 9701), which openrp
 * never asks for, was unwrapped without its signature being checked. Now an inactive token is
 * `{ active: false }` and nothing else, and a JWT answer is INVALID_RESPONSE.
 */
import { describe, expect, it } from 'vitest'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const m2m = () => h.client({ clientId: 'm2m', clientSecret: 'm2m-secret' })

describe('introspection answers', () => {
  it('an inactive token is { active: false } and nothing else', async () => {
    const client = await m2m()
    h.server.control.setFaults({
      introspection: { inactiveClaims: { scope: 'api:write', sub: 'alice', exp: 4_000_000_000 } },
    })
    await expect(client.introspect('no-such-token')).resolves.toStrictEqual({ active: false })
  })

  it('an active token keeps its claims', async () => {
    const client = await m2m()
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    await expect(client.introspect(tokens)).resolves.toMatchObject({
      active: true,
      scope: 'api:read',
      client_id: 'm2m',
    })
  })

  it('refuses a JWT answer it did not ask for (its signature unchecked) with INVALID_RESPONSE', async () => {
    const client = await m2m()
    h.server.control.setFaults({
      introspection: { forgedJwt: { active: true, scope: 'admin', sub: 'mallory' } },
    })
    await expect(client.introspect('any-token')).rejects.toMatchObject({
      name: 'ValidationError',
      code: 'INVALID_RESPONSE',
    })
  })
})
