/**
 * The device_code grant (RFC 8628 §3.4–3.5): authorization_pending, slow_down (the interval
 * grows by 5 seconds with every slow_down, injected ones too), expired_token, access_denied.
 */
import { OAuthHttpError, invalidGrant } from '../errors.ts'
import { findUser } from '../state.ts'
import { tokenResponse } from '../tokens.ts'
import { type GrantHandler, grantedResources, requireParam, wantsRefresh } from './grant.ts'

export const deviceCodeGrant: GrantHandler = async ({
  state,
  client,
  form,
  jkt,
  x5t,
  grantType,
  c,
}) => {
  const record = state.devices.get(requireParam(form, 'device_code'))
  if (!record || record.clientId !== client.client_id) throw invalidGrant('unknown device_code')
  c.get('log').userCode = record.userCode
  if (record.status === 'used') throw invalidGrant('device_code already used')
  if (record.expiresAt < state.now())
    throw new OAuthHttpError('expired_token', 'device_code expired')
  // RFC 8707: a resource the client may not ask for is refused before the poll counts.
  const resources = grantedResources(client, form, undefined)
  const now = state.shiftedNowMs() / 1000
  const tooFast = record.lastPoll !== undefined && now - record.lastPoll < record.interval
  record.lastPoll = now
  // RFC 8628 §3.5: after a slow_down, this and every later poll must wait 5 s more, whether
  // the answer was earned or injected: the client is held to what it was told.
  if (state.faults.deviceSlowDown() || tooFast) {
    record.interval += 5
    throw new OAuthHttpError('slow_down', `polling too fast; interval is now ${record.interval} s`)
  }
  if (record.status === 'pending') {
    throw new OAuthHttpError('authorization_pending', 'the user has not answered yet')
  }
  if (record.status === 'denied') {
    record.status = 'used'
    throw new OAuthHttpError('access_denied', 'the user denied the request')
  }
  record.status = 'used'
  const sub = record.sub!
  const isUser = findUser(state, sub) !== undefined
  return tokenResponse(state, {
    client,
    sub,
    scope: record.scope,
    grantType,
    jkt,
    x5t,
    audience: resources.audience,
    refreshAudience: resources.grant,
    authTime: record.authTime,
    idToken: isUser && record.scope.includes('openid') ? {} : undefined,
    refresh: wantsRefresh(client, record.scope),
    refreshJkt: client.token_endpoint_auth_method === 'none' ? jkt : undefined,
    refreshX5t: client.token_endpoint_auth_method === 'none' ? x5t : undefined,
  })
}
