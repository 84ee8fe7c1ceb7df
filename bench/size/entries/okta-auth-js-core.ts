// @okta/okta-auth-js through its smallest entry that does the job ("/core": OAuth + token
// manager, without the IDX/authn/myaccount APIs). PKCE is its default; it verifies ID-token
// signatures against the provider's JWKS.
import { OktaAuth } from '@okta/okta-auth-js/core'
import { CLIENT_ID, ISSUER, POST_LOGOUT_REDIRECT_URI, REDIRECT_URI, SCOPE } from './shared.ts'

const auth = new OktaAuth({
  issuer: ISSUER,
  clientId: CLIENT_ID,
  redirectUri: REDIRECT_URI,
  postLogoutRedirectUri: POST_LOGOUT_REDIRECT_URI,
  scopes: SCOPE.split(' '),
  pkce: true,
  tokenManager: { storage: 'localStorage', autoRenew: true },
})

export const login = () => auth.signInWithRedirect()
export const callback = () => auth.handleLoginRedirect()
export async function getAccessToken(): Promise<string | undefined> {
  const token = await auth.tokenManager.get('accessToken')
  if (!token || auth.tokenManager.hasExpired(token)) await auth.tokenManager.renew('accessToken')
  return auth.getAccessToken()
}
export const logout = () => auth.signOut()
