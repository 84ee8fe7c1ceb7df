/**
 * A small protected resource for demos: GET /api/me and GET /api/data validate the access
 * token (Bearer or DPoP-bound; `aud` must be this server) and answer JSON.
 */
import type { Hono } from 'hono'
import { claimsForScope } from '../claims.ts'
import type { AppEnv } from '../http.ts'
import { authenticateResource, challenge } from '../resource-auth.ts'
import { findUser, type ServerState } from '../state.ts'

export function registerApi(app: Hono<AppEnv>, state: ServerState): void {
  app.get('/api/:resource', async (c) => {
    const auth = await authenticateResource(state, c)
    if (!auth.ok) return auth.response
    c.get('log').clientId = auth.record.clientId
    const aud = Array.isArray(auth.claims.aud) ? auth.claims.aud : [auth.claims.aud]
    if (!aud.includes(state.issuer)) {
      return challenge(c, 401, auth.scheme, 'invalid_token', 'the token is not meant for this API')
    }
    const { sub, client_id, scope } = auth.claims
    c.header('Cache-Control', 'no-store')
    if (c.req.param('resource') === 'me') {
      const user = findUser(state, auth.record.sub)
      return c.json({
        sub,
        client_id,
        scope,
        token_type: auth.scheme,
        ...(user ? claimsForScope(user, auth.record.scope) : {}),
        ...(auth.claims.org_id ? { org_id: auth.claims.org_id } : {}),
      })
    }
    if (c.req.param('resource') === 'data') {
      if (!auth.record.scope.includes('api:read')) {
        return challenge(c, 403, auth.scheme, 'insufficient_scope', 'api:read is required')
      }
      return c.json({
        sub,
        client_id,
        token_type: auth.scheme,
        items: [
          { id: 1, name: 'Looking-glass' },
          { id: 2, name: 'Cheshire cat' },
          { id: 3, name: 'Pocket watch' },
        ],
        time: new Date().toISOString(),
      })
    }
    return c.json({ error: 'not_found' }, 404)
  })
}
