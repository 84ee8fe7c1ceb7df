/**
 * Regression: password() sent an empty `username` or `password` (RFC 6749 §4.3.2: both
 * REQUIRED, and §3.1 treats a parameter without a value as omitted). The provider had to refuse
 * a request the client could have known was incomplete (an unset variable, say), and the other
 * named grants already refused their empty required values. Now INVALID_ARGUMENT before any
 * request.
 */
import { describe, expect, it } from 'vitest'
import type { PasswordOptions } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()

describe('password() refuses empty credentials', () => {
  it.each<Partial<PasswordOptions>>([{ username: '' }, { password: '' }])(
    'refuses %j before any request',
    async (change) => {
      const client = await h.client({
        clientId: 'legacy-password',
        clientSecret: 'password-secret',
        clientAuth: 'client_secret_post',
      })
      await expect(
        client.password({ username: 'alice', password: 'wonderland', ...change }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
    },
  )
})
