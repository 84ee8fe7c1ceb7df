/**
 * A WSO2-style `organization_switch` vendor grant: takes `token` (an access token of this
 * server) and `switching_organization`, and returns a token for the same `sub` carrying an
 * `org_id` claim. Registered by default; an example of `options.grants`.
 */
import type { VendorGrantHandler } from '../types.ts'

/** The `organization_switch` vendor grant handler (see the module comment); registered by default. */
export const organizationSwitchGrant: VendorGrantHandler = async ({
  params,
  verifyAccessToken,
}) => {
  const token = params.get('token')
  const org = params.get('switching_organization')
  if (!token || !org) {
    return {
      error: 'invalid_request',
      error_description: 'token and switching_organization are required',
    }
  }
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(org)) {
    return { error: 'invalid_request', error_description: 'malformed switching_organization' }
  }
  const claims = await verifyAccessToken(token)
  if (!claims?.sub)
    return { error: 'invalid_grant', error_description: 'invalid, expired or revoked token' }
  return {
    sub: claims.sub as string,
    scope: typeof claims.scope === 'string' ? claims.scope : undefined,
    extraClaims: { org_id: org },
  }
}
