/**
 * Token introspection (RFC 7662): confidential clients only; revoked or expired means inactive,
 * and so does a token the client may not introspect (§2.1, §4), so the answer never tells that
 * such a token exists.
 */
import type { Hono } from 'hono'
import { authenticateClient } from '../clients.ts'
import { oauthErrorResponse } from '../errors.ts'
import { requireParam } from '../grants/grant.ts'
import { type AppEnv, readForm } from '../http.ts'
import { findUser, type ServerState } from '../state.ts'
import { type FoundToken, lookupToken } from '../token-lookup.ts'
import type { ClientConfig } from '../types.ts'

/**
 * Whether `client` may introspect `found` (RFC 7662 §4: the server decides who sees what): a
 * token issued to the client itself, or an access token meant for a resource server the client
 * speaks for (its `aud` names one of the client's `introspection_audiences`). A refresh token
 * only by its own client: no resource server ever holds one.
 */
function mayIntrospect(client: ClientConfig, found: FoundToken): boolean {
  if (found.record.clientId === client.client_id) return true
  if (found.kind !== 'access_token') return false
  const served = client.introspection_audiences ?? []
  return [found.claims.aud].flat().some((aud) => typeof aud === 'string' && served.includes(aud))
}

export function registerIntrospection(app: Hono<AppEnv>, state: ServerState): void {
  app.post('/introspect', async (c) => {
    try {
      const form = await readForm(c)
      const client = await authenticateClient(state, c, form, { allowPublic: false })
      const found = await lookupToken(state, requireParam(form, 'token'))
      c.header('Cache-Control', 'no-store')
      const fault = state.faults.current.introspection
      if (fault?.forgedJwt) {
        c.header('Content-Type', 'application/token-introspection+jwt')
        return c.body(forgedJwt(state.issuer, client.client_id, fault.forgedJwt))
      }
      if (!found?.active || !mayIntrospect(client, found))
        return c.json({ active: false, ...fault?.inactiveClaims })
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

/**
 * A JWT introspection response (RFC 9701 §5) for `clientId` with `claims` as the token's, whose
 * signature no published key makes.
 */
function forgedJwt(issuer: string, clientId: string, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const header = part({ alg: 'RS256', typ: 'token-introspection+jwt', kid: 'forged' })
  const payload = part({
    iss: issuer,
    aud: clientId,
    iat: Math.floor(Date.now() / 1000),
    token_introspection: claims,
  })
  return `${header}.${payload}.${Buffer.alloc(256, 7).toString('base64url')}`
}
