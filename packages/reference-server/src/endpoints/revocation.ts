/**
 * Token revocation (RFC 7009): revoking a refresh token revokes its whole family (and the
 * access tokens issued in it); revoking an access token revokes that token. Unknown tokens are
 * answered 200 (§2.2); tokens of another client are refused.
 */
import type { Hono } from 'hono'
import { authenticateClient } from '../clients.ts'
import { OAuthHttpError, oauthErrorResponse } from '../errors.ts'
import { requireParam } from '../grants/grant.ts'
import { type AppEnv, readForm } from '../http.ts'
import type { ServerState } from '../state.ts'
import { lookupToken } from '../token-lookup.ts'
import { revokeGrant } from '../tokens.ts'

export function registerRevocation(app: Hono<AppEnv>, state: ServerState): void {
  app.post('/revoke', async (c) => {
    try {
      const form = await readForm(c)
      const client = await authenticateClient(state, c, form, { allowPublic: true })
      const found = await lookupToken(state, requireParam(form, 'token'))
      c.header('Cache-Control', 'no-store')
      if (!found) return c.body(null, 200)
      if (found.record.clientId !== client.client_id) {
        throw new OAuthHttpError('unauthorized_client', 'the token was issued to another client')
      }
      if (found.kind === 'refresh_token') revokeGrant(state, found.record.grantId)
      else found.record.revoked = true
      return c.body(null, 200)
    } catch (err) {
      return oauthErrorResponse(c, err)
    }
  })
}
