/** The resource owner password grant (RFC 6749 §4.3): legacy, only for clients registered for it. */
import { isPublic } from '../clients.ts'
import { safeEqual } from '../crypto-utils.ts'
import { invalidGrant } from '../errors.ts'
import { splitList } from '../http.ts'
import { tokenResponse } from '../tokens.ts'
import {
  type GrantHandler,
  grantedResources,
  narrowScope,
  requireParam,
  wantsRefresh,
} from './grant.ts'

export const passwordGrant: GrantHandler = async ({ state, client, form, jkt, x5t, grantType }) => {
  const username = requireParam(form, 'username')
  const password = requireParam(form, 'password')
  const user = state.users.find((u) => u.username === username)
  if (!user || !(await safeEqual(password, user.password))) {
    throw invalidGrant('wrong username or password')
  }
  const scope = narrowScope(form.get('scope'), splitList(client.scope))
  // RFC 8707: each resource must be one the client may ask for; it narrows the token's audience.
  const resources = grantedResources(client, form, undefined)
  return tokenResponse(state, {
    client,
    sub: user.sub,
    scope,
    grantType,
    jkt,
    x5t,
    audience: resources.audience,
    refreshAudience: resources.grant,
    authTime: state.now(),
    idToken: scope.includes('openid') ? {} : undefined,
    refresh: wantsRefresh(client, scope),
    refreshJkt: isPublic(client) ? jkt : undefined,
    refreshX5t: isPublic(client) ? x5t : undefined,
  })
}
