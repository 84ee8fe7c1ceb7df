/**
 * The refresh_token grant (RFC 6749 §6) with rotation: every use returns a new refresh token,
 * and reuse of a rotated one revokes the whole family (RFC 9700 §4.14.2). DPoP-bound refresh
 * tokens of public clients need a proof with the same key (RFC 9449 §5).
 *
 * With a reuse interval (`refreshTokenReuseInterval`, a client's
 * `refresh_token_reuse_interval`), a rotated token exchanged again within that many seconds of
 * its rotation, while the refresh token its exchange issued is still unused, gets a fresh token
 * set of the same family, as Auth0's "reuse interval" does; the set issued before is superseded
 * (its refresh token counts as used from then on). Outside the interval, or once the successor
 * was used, reuse revokes the family as without it.
 */
import { isPublic } from '../clients.ts'
import { invalidGrant } from '../errors.ts'
import {
  findUser,
  type RefreshTokenRecord,
  refreshTokenReuseInterval,
  type ServerState,
} from '../state.ts'
import { revokeGrant, tokenResponse } from '../tokens.ts'
import { type GrantHandler, grantedResources, narrowScope, requireParam } from './grant.ts'

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
  const superseded = record.used ? graceSuccessor(state, record, client) : undefined
  if (record.used && !superseded) {
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
  // RFC 8707 §2.2: only resources of the original grant (checked before the token is spent).
  const resources = grantedResources(client, form, record.audience ?? [])
  const now = state.shiftedNowMs()
  record.used = true
  record.usedAtMs ??= now
  const isUser = findUser(state, record.sub) !== undefined
  const body = await tokenResponse(state, {
    client,
    sub: record.sub,
    scope,
    refreshScope: record.scope,
    grantType,
    grantId: record.grantId,
    jkt,
    x5t,
    audience: resources.audience,
    refreshAudience: resources.grant,
    authTime: record.authTime,
    acr: record.acr,
    sid: record.sid,
    idToken: isUser && scope.includes('openid') ? {} : undefined,
    refresh: true,
    refreshJkt: record.jkt ?? (isPublic(client) ? jkt : undefined),
    refreshX5t: record.x5t ?? (isPublic(client) ? x5t : undefined),
    extraClaims: record.extraClaims,
  })
  const issued = body.refresh_token as string
  record.successor = issued
  if (superseded) {
    superseded.used = true
    superseded.usedAtMs = now
    superseded.successor = issued
  }
  return body
}

/**
 * The unused successor a replay of `record` may supersede, when the reuse interval allows the
 * replay; `undefined` when the replay is a reuse to punish.
 */
function graceSuccessor(
  state: ServerState,
  record: RefreshTokenRecord,
  client: Parameters<typeof refreshTokenReuseInterval>[1],
): RefreshTokenRecord | undefined {
  const interval = refreshTokenReuseInterval(state, client)
  if (interval === 0 || record.usedAtMs === undefined || record.successor === undefined)
    return undefined
  if (state.shiftedNowMs() - record.usedAtMs > interval * 1000) return undefined
  const successor = state.refreshTokens.get(record.successor)
  return successor && !successor.used ? successor : undefined
}
