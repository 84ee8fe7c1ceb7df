// @openrp/react with the client options of openrp.ts (AuthProvider makes the client, as
// Auth0Provider and react-oidc-context's AuthProvider do): AuthProvider (the redirect callback),
// a RequireAuth route, and useAuth() for login, access token and logout. React itself is left
// out of the bundle (every app already has it); the React layer's cost is this bundle minus
// openrp.ts.
import { WebLocksLock } from '@openrp/browser'
import { AuthProvider, RequireAuth, useAuth } from '@openrp/react'
import { createElement } from 'react'
import { CLIENT_ID, ISSUER, POST_LOGOUT_REDIRECT_URI, REDIRECT_URI, SCOPE } from './shared.ts'

const options = {
  issuer: ISSUER,
  clientId: CLIENT_ID,
  redirectUri: REDIRECT_URI,
  postLogoutRedirectUri: POST_LOGOUT_REDIRECT_URI,
  scope: SCOPE,
  store: 'indexeddb' as const,
  lock: new WebLocksLock(),
}

function Account() {
  const { status, user, loginWithRedirect, getAccessToken, logout } = useAuth()
  if (status !== 'signedIn')
    return createElement('button', { type: 'button', onClick: () => loginWithRedirect() })
  return createElement(
    'div',
    null,
    String(user?.sub),
    createElement('button', { type: 'button', onClick: () => getAccessToken() }),
    createElement('button', { type: 'button', onClick: () => logout() }),
  )
}

export const App = () =>
  createElement(AuthProvider, { options }, createElement(RequireAuth, null, createElement(Account)))
