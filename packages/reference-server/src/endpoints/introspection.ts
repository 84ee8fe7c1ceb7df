/** Token introspection (RFC 7662): authenticated clients only; revoked or expired means inactive. */
import type { Hono } from 'hono'
import { authenticateClient } from '../clients.ts'
import { oauthErrorResponse } from '../errors.ts'
import { requireParam } from '../grants/grant.ts'
import { type AppEnv, readForm } from '../http.ts'
import { findUser, type ServerState } from '../state.ts'
import { lookupToken } from '../token-lookup.ts'

export function registerIntrospection(app: Hono<AppEnv>, state: ServerState): void {
  app.post('/introspect', async (c) => {
    try {
      const form = await readForm(c)
      await authenticateClient(state, c, form, { allowPublic: false })
      const found = await lookupToken(state, requireParam(form, 'token'))
      c.header('Cache-Control', 'no-store')
      if (!found?.active) return c.json({ active: false })
      const { record } = found
      const user = findUser(state, record.sub)
      const common = {
        active: true,
        scope: record.scope.join(' '),
        client_id: record.clientId,
        sub: record.sub,
        exp: record.expiresAt,
        iss: state.issuer,
        ...(user ? { username: user.username } : {}),
      }
      if (found.kind === 'refresh_token') return c.json({ ...common, token_type: 'refresh_token' })
      const { claims } = found
      return c.json({
        ...common,
        token_type: record.jkt ? 'DPoP' : 'Bearer',
        iat: claims.iat,
        aud: claims.aud,
        jti: claims.jti,
        ...(claims.cnf ? { cnf: claims.cnf } : {}),
        ...(claims.act ? { act: claims.act } : {}),
        ...(claims.org_id ? { org_id: claims.org_id } : {}),
      })
    } catch (err) {
      return oauthErrorResponse(c, err)
    }
  })
}
