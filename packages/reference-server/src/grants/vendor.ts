/** Runs a vendor grant registered through `options.grants` and issues its tokens. */
import { OAuthHttpError } from '../errors.ts'
import { splitList } from '../http.ts'
import { tokenResponse, verifyAccessToken } from '../tokens.ts'
import type { VendorGrantHandler } from '../types.ts'
import type { GrantHandler } from './grant.ts'

export function vendorGrant(handler: VendorGrantHandler): GrantHandler {
  return async ({ state, client, form, jkt, x5t, grantType }) => {
    const result = await handler({
      client,
      params: new URLSearchParams(form),
      verifyAccessToken: async (token) => (await verifyAccessToken(state, token))?.claims,
    })
    if ('error' in result) {
      throw new OAuthHttpError(result.error, result.error_description ?? result.error)
    }
    const scope = splitList(result.scope)
    return tokenResponse(state, {
      client,
      sub: result.sub,
      scope,
      grantType,
      jkt,
      x5t,
      audience: result.audience ? [result.audience] : undefined,
      extraClaims: result.extraClaims,
      refresh: Boolean(result.refreshToken) && client.grant_types.includes('refresh_token'),
    })
  }
}
