// openrp through `new SpaClient` (same steps as openrp.ts): the store and lock are passed as
// instances, so the bundle carries only the IndexedDB store and Web Locks lock it names, not
// every StoreChoice createSpaClient can resolve.
import { IndexedDbStore, SpaClient, WebLocksLock } from '@openrp/browser'
import { CLIENT_ID, ISSUER, POST_LOGOUT_REDIRECT_URI, REDIRECT_URI, SCOPE } from './shared.ts'

const spa = new SpaClient({
  issuer: ISSUER,
  clientId: CLIENT_ID,
  redirectUri: REDIRECT_URI,
  postLogoutRedirectUri: POST_LOGOUT_REDIRECT_URI,
  scope: SCOPE,
  store: new IndexedDbStore(),
  lock: new WebLocksLock(),
})

export const login = () => spa.loginWithRedirect()
export const callback = () => spa.handleRedirectCallback()
export const getAccessToken = () => spa.getAccessToken()
export const logout = () => spa.logout()
