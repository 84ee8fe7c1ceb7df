/** The grant types the token endpoint knows, by `grant_type`. */
import { authorizationCodeGrant } from './authorization-code.ts'
import { clientCredentialsGrant } from './client-credentials.ts'
import { deviceCodeGrant } from './device-code.ts'
import type { GrantHandler } from './grant.ts'
import { jwtBearerGrant } from './jwt-bearer.ts'
import { passwordGrant } from './password.ts'
import { refreshTokenGrant } from './refresh-token.ts'
import { saml2BearerGrant } from './saml2-bearer.ts'
import { tokenExchangeGrant } from './token-exchange.ts'

export const BUILTIN_GRANTS: Record<string, GrantHandler> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  password: passwordGrant,
  'urn:ietf:params:oauth:grant-type:device_code': deviceCodeGrant,
  'urn:ietf:params:oauth:grant-type:jwt-bearer': jwtBearerGrant,
  'urn:ietf:params:oauth:grant-type:token-exchange': tokenExchangeGrant,
  'urn:ietf:params:oauth:grant-type:saml2-bearer': saml2BearerGrant,
}
