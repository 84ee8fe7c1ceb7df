/**
 * The authorization_code grant (RFC 6749 §4.1.3, RFC 7636): single use — a replayed code is
 * refused and every token issued from it is revoked (RFC 6749 §4.1.2).
 */
import { isPublic } from '../clients.ts'
import { sha256 } from '../crypto-utils.ts'
import { invalidGrant } from '../errors.ts'
import { revokeGrant, tokenResponse } from '../tokens.ts'
import { type GrantHandler, grantedResources, requireParam, wantsRefresh } from './grant.ts'

export const authorizationCodeGrant: GrantHandler = async ({
  state,
  client,
  form,
  jkt,
  x5t,
  grantType,
}) => {
  const code = requireParam(form, 'code')
  const record = state.codes.get(code)
  if (!record) throw invalidGrant('unknown authorization code')
  if (record.used) {
    revokeGrant(state, record.grantId)
    throw invalidGrant('authorization code already used; the tokens issued from it are revoked')
  }
  record.used = true
  const request = record.request
  if (request.clientId !== client.client_id) throw invalidGrant('code was issued to another client')
  if (record.expiresAt < state.now()) throw invalidGrant('authorization code expired')
  if (form.get('redirect_uri') !== request.redirectUri) {
    throw invalidGrant('redirect_uri does not match the authorization request')
  }
  const verifier = form.get('code_verifier')
  if (request.codeChallenge !== undefined) {
    if (!verifier) throw invalidGrant('code_verifier is required')
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) throw invalidGrant('malformed code_verifier')
    if ((await sha256(verifier)) !== request.codeChallenge) {
      throw invalidGrant('code_verifier does not match the code_challenge')
    }
  } else if (verifier !== null) {
    throw invalidGrant('code_verifier sent but no code_challenge was in the request')
  }
  if (request.dpopJkt && request.dpopJkt !== jkt) {
    throw invalidGrant('the DPoP proof key does not match dpop_jkt')
  }
  // RFC 8707 §2.2: a resource here narrows the token to resources the authorization request named.
  const resources = grantedResources(
    client,
    form,
    request.resource.length ? request.resource : undefined,
  )
  return tokenResponse(state, {
    client,
    sub: record.sub,
    scope: request.scope,
    grantType,
    grantId: record.grantId,
    jkt,
    x5t,
    audience: resources.audience,
    refreshAudience: resources.grant,
    authTime: record.authTime,
    acr: record.acr,
    sid: record.sid,
    idToken: request.scope.includes('openid') ? { nonce: request.nonce } : undefined,
    refresh: wantsRefresh(client, request.scope),
    refreshJkt: isPublic(client) ? jkt : undefined,
    refreshX5t: isPublic(client) ? x5t : undefined,
  })
}
