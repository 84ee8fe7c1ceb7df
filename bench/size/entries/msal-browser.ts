// @azure/msal-browser: createStandardPublicClientApplication (auth code + PKCE), localStorage cache,
// acquireTokenSilent (refresh token when the access token expired). It does not verify
// ID-token signatures.
import { createStandardPublicClientApplication } from '@azure/msal-browser'
import { CLIENT_ID, ISSUER, POST_LOGOUT_REDIRECT_URI, REDIRECT_URI, SCOPE } from './shared.ts'

const app = createStandardPublicClientApplication({
  auth: {
    clientId: CLIENT_ID,
    authority: ISSUER,
    knownAuthorities: ['op.example.test'],
    redirectUri: REDIRECT_URI,
    postLogoutRedirectUri: POST_LOGOUT_REDIRECT_URI,
  },
  cache: { cacheLocation: 'localStorage' },
})
const scopes = SCOPE.split(' ')

export const login = async () => (await app).loginRedirect({ scopes })
export const callback = async () => (await app).handleRedirectPromise()
export async function getAccessToken(): Promise<string> {
  const pca = await app
  const account = pca.getAllAccounts()[0]
  if (!account) throw new Error('not signed in')
  return (await pca.acquireTokenSilent({ scopes, account })).accessToken
}
export const logout = async () => (await app).logoutRedirect()
