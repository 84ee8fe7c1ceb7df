// oidc-client-ts: UserManager with localStorage, code + PKCE (its default), refresh through
// signinSilent (it uses the refresh token when there is one). It does not verify ID-token
// signatures.
import { UserManager, WebStorageStateStore } from 'oidc-client-ts'
import { CLIENT_ID, ISSUER, POST_LOGOUT_REDIRECT_URI, REDIRECT_URI, SCOPE } from './shared.ts'

const manager = new UserManager({
  authority: ISSUER,
  client_id: CLIENT_ID,
  redirect_uri: REDIRECT_URI,
  post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI,
  scope: SCOPE,
  response_type: 'code',
  userStore: new WebStorageStateStore({ store: window.localStorage }),
})

export const login = () => manager.signinRedirect()
export const callback = () => manager.signinRedirectCallback()
export async function getAccessToken(): Promise<string | undefined> {
  const user = await manager.getUser()
  if (user && !user.expired) return user.access_token
  return (await manager.signinSilent())?.access_token
}
export const logout = () => manager.signoutRedirect()
