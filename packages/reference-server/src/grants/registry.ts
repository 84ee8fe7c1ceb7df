/** The grant types the token endpoint knows, by `grant_type`. */
import { authorizationCodeGrant } from './authorization-code.ts'
import { clientCredentialsGrant } from './client-credentials.ts'
import type { GrantHandler } from './grant.ts'
import { refreshTokenGrant } from './refresh-token.ts'

export const BUILTIN_GRANTS: Record<string, GrantHandler> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
}
