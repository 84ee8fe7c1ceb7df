// react-oidc-context: AuthProvider (it makes the oidc-client-ts UserManager and handles the
// callback), withAuthenticationRequired, and useAuth() for login, access token and logout; the
// same settings as oidc-client-ts.ts. React is left out of the bundle; the React layer's cost
// is this bundle minus oidc-client-ts.ts.
import { WebStorageStateStore } from 'oidc-client-ts'
import { createElement } from 'react'
import { AuthProvider, useAuth, withAuthenticationRequired } from 'react-oidc-context'
import { CLIENT_ID, ISSUER, POST_LOGOUT_REDIRECT_URI, REDIRECT_URI, SCOPE } from './shared.ts'

function Account() {
  const auth = useAuth()
  if (!auth.isAuthenticated)
    return createElement('button', { type: 'button', onClick: () => auth.signinRedirect() })
  return createElement(
    'div',
    null,
    String(auth.user?.profile.sub),
    createElement('button', { type: 'button', onClick: () => auth.signinSilent() }),
    createElement('button', { type: 'button', onClick: () => auth.signoutRedirect() }),
  )
}

const Protected = withAuthenticationRequired(Account)

export const App = () =>
  createElement(
    AuthProvider,
    {
      authority: ISSUER,
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI,
      scope: SCOPE,
      response_type: 'code',
      userStore: new WebStorageStateStore({ store: window.localStorage }),
    },
    createElement(Protected),
  )
