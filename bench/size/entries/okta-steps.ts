// The steps both okta-auth-js entries take, given the OktaAuth class of the entry point each
// measures (the "/core" entry or the default one): PKCE (its default), tokens in localStorage
// with auto-renew; it verifies ID-token signatures against the provider's JWKS.
import type { OktaAuth as CoreOktaAuth, OktaAuthOptions } from '@okta/okta-auth-js/core'
import { CLIENT_ID, ISSUER, POST_LOGOUT_REDIRECT_URI, REDIRECT_URI, SCOPE } from './shared.ts'

/** The login, callback, token and logout steps over one OktaAuth instance. */
export function oktaSteps(OktaAuth: new (options: OktaAuthOptions) => CoreOktaAuth) {
  const auth = new OktaAuth({
    issuer: ISSUER,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT_URI,
    postLogoutRedirectUri: POST_LOGOUT_REDIRECT_URI,
    scopes: SCOPE.split(' '),
    pkce: true,
    tokenManager: { storage: 'localStorage', autoRenew: true },
  })
  return {
    login: () => auth.signInWithRedirect(),
    callback: () => auth.handleLoginRedirect(),
    async getAccessToken(): Promise<string | undefined> {
      const token = await auth.tokenManager.get('accessToken')
      if (!token || auth.tokenManager.hasExpired(token))
        await auth.tokenManager.renew('accessToken')
      return auth.getAccessToken()
    },
    logout: () => auth.signOut(),
  }
}
