// openrp: createSpaClient with tokens in IndexedDB, the Web Locks cross-tab lock and ID-token
// signature validation (always on). Code + PKCE is the default; getAccessToken() refreshes
// (once across tabs) when the token is about to expire.
import { createSpaClient, WebLocksLock } from '@openrp/browser'
import { CLIENT_ID, ISSUER, POST_LOGOUT_REDIRECT_URI, REDIRECT_URI, SCOPE } from './shared.ts'

const spa = createSpaClient({
  issuer: ISSUER,
  clientId: CLIENT_ID,
  redirectUri: REDIRECT_URI,
  postLogoutRedirectUri: POST_LOGOUT_REDIRECT_URI,
  scope: SCOPE,
  store: 'indexeddb',
  lock: new WebLocksLock(),
})

export const login = () => spa.loginWithRedirect()
export const callback = () => spa.handleRedirectCallback()
export const getAccessToken = () => spa.getAccessToken()
export const logout = () => spa.logout()
