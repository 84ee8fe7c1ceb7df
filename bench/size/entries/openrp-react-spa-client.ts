// @openrp/react given a client made with `new SpaClient` (as in openrp-spa-client.ts), same
// components as openrp-react.ts. AuthProvider also accepts options, so createSpaClient (and the
// store choices it resolves) comes along: this bundle minus openrp-spa-client.ts shows that cost.
import { IndexedDbStore, SpaClient, WebLocksLock } from '@openrp/browser'
import { AuthProvider, RequireAuth, useAuth } from '@openrp/react'
import { createElement } from 'react'
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
  createElement(
    AuthProvider,
    { client: spa },
    createElement(RequireAuth, null, createElement(Account)),
  )
