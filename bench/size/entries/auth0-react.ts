// @auth0/auth0-react: Auth0Provider (it makes the auth0-spa-js client and handles the callback),
// withAuthenticationRequired, and useAuth0() for login, access token and logout; the same
// client settings as auth0-spa-js.ts. React is left out of the bundle; the React layer's cost
// is this bundle minus auth0-spa-js.ts.
import { Auth0Provider, useAuth0, withAuthenticationRequired } from '@auth0/auth0-react'
import { createElement } from 'react'
import { CLIENT_ID, POST_LOGOUT_REDIRECT_URI, REDIRECT_URI, SCOPE } from './shared.ts'

function Account() {
  const { isAuthenticated, user, loginWithRedirect, getAccessTokenSilently, logout } = useAuth0()
  if (!isAuthenticated)
    return createElement('button', { type: 'button', onClick: () => loginWithRedirect() })
  return createElement(
    'div',
    null,
    String(user?.sub),
    createElement('button', { type: 'button', onClick: () => getAccessTokenSilently() }),
    createElement('button', {
      type: 'button',
      onClick: () => logout({ logoutParams: { returnTo: POST_LOGOUT_REDIRECT_URI } }),
    }),
  )
}

const Protected = withAuthenticationRequired(Account)

export const App = () =>
  createElement(
    Auth0Provider,
    {
      domain: 'op.example.test',
      clientId: CLIENT_ID,
      cacheLocation: 'localstorage',
      useRefreshTokens: true,
      authorizationParams: { redirect_uri: REDIRECT_URI, scope: SCOPE },
    },
    createElement(Protected),
  )
