// keycloak-js: init with check-sso and PKCE S256, updateToken for refresh. It does not verify
// ID-token signatures. (It only speaks to Keycloak servers.)
import Keycloak from 'keycloak-js'
import { CLIENT_ID, POST_LOGOUT_REDIRECT_URI, REDIRECT_URI } from './shared.ts'

const keycloak = new Keycloak({
  url: 'https://op.example.test',
  realm: 'demo',
  clientId: CLIENT_ID,
})
const ready = keycloak.init({ onLoad: 'check-sso', pkceMethod: 'S256', redirectUri: REDIRECT_URI })

export const login = async () => {
  await ready
  await keycloak.login({ redirectUri: REDIRECT_URI, scope: 'offline_access' })
}
// init() handles the callback (code in the URL) itself.
export const callback = () => ready
export async function getAccessToken(): Promise<string | undefined> {
  await ready
  await keycloak.updateToken(30)
  return keycloak.token
}
export const logout = () => keycloak.logout({ redirectUri: POST_LOGOUT_REDIRECT_URI })
