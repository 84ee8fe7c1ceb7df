/**
 * The refresh_token grant (RFC 6749 §6) with rotation: every use returns a new refresh token,
 * and reuse of a rotated one revokes the whole family (RFC 9700 §4.14.2). DPoP-bound refresh
 * tokens of public clients need a proof with the same key (RFC 9449 §5).
 */
import { isPublic } from '../clients.ts'
import { invalidGrant } from '../errors.ts'
import { findUser } from '../state.ts'
import { revokeGrant, tokenResponse } from '../tokens.ts'
import { type GrantHandler, narrowScope, requireParam } from './grant.ts'

export const refreshTokenGrant: GrantHandler = async ({
  state,
  client,
  form,
  jkt,
  x5t,
  grantType,
}) => {
  const token = requireParam(form, 'refresh_token')
  const record = state.refreshTokens.get(token)
  if (!record) throw invalidGrant('unknown refresh token')
  if (record.clientId !== client.client_id) throw invalidGrant('refresh token of another client')
  if (state.grants.get(record.grantId)?.revoked) throw invalidGrant('refresh token revoked')
  if (record.used) {
    revokeGrant(state, record.grantId)
    throw invalidGrant('refresh token reused; the whole token family is revoked')
  }
  if (record.expiresAt < state.now()) throw invalidGrant('refresh token expired')
  if (record.jkt && record.jkt !== jkt) {
    throw invalidGrant('refresh token is bound to another DPoP key')
  }
  // RFC 8705 §4: a public client's refresh token is bound to its certificate.
  if (record.x5t && record.x5t !== x5t) {
    throw invalidGrant('refresh token is bound to another client certificate')
  }
  const scope = narrowScope(form.get('scope'), record.scope)
  record.used = true
  const isUser = findUser(state, record.sub) !== undefined
  return tokenResponse(state, {
    client,
    sub: record.sub,
    scope,
    refreshScope: record.scope,
    grantType,
    grantId: record.grantId,
    jkt,
    x5t,
    audience: record.audience,
    authTime: record.authTime,
    acr: record.acr,
    sid: record.sid,
    idToken: isUser && scope.includes('openid') ? {} : undefined,
    refresh: true,
    refreshJkt: record.jkt ?? (isPublic(client) ? jkt : undefined),
    refreshX5t: record.x5t ?? (isPublic(client) ? x5t : undefined),
    extraClaims: record.extraClaims,
  })
}
