/**
 * The client_credentials grant (RFC 6749 §4.4): confidential clients only; `audience` and
 * RFC 8707 `resource` select the token's `aud` among the client's allowed audiences.
 */
import { isPublic } from '../clients.ts'
import { OAuthHttpError } from '../errors.ts'
import { splitList } from '../http.ts'
import { tokenResponse } from '../tokens.ts'
import { type GrantHandler, narrowScope, requestedAudience } from './grant.ts'

const USER_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'address', 'phone']

export const clientCredentialsGrant: GrantHandler = async ({
  state,
  client,
  form,
  jkt,
  x5t,
  grantType,
}) => {
  if (isPublic(client)) {
    throw new OAuthHttpError(
      'unauthorized_client',
      'client_credentials needs a confidential client',
    )
  }
  const allowed = splitList(client.scope).filter((s) => !USER_SCOPES.includes(s))
  const scope = narrowScope(form.get('scope'), allowed)
  const audience = requestedAudience(client, form)
  return tokenResponse(state, {
    client,
    sub: client.client_id,
    scope,
    grantType,
    jkt,
    x5t,
    audience,
  })
}
