// @auth0/auth0-spa-js: createAuth0Client with refresh tokens and the localStorage cache.
// It checks ID-token claims but not signatures.
import { createAuth0Client } from '@auth0/auth0-spa-js'
import { CLIENT_ID, POST_LOGOUT_REDIRECT_URI, REDIRECT_URI, SCOPE } from './shared.ts'

const client = createAuth0Client({
  domain: 'op.example.test',
  clientId: CLIENT_ID,
  cacheLocation: 'localstorage',
  useRefreshTokens: true,
  authorizationParams: { redirect_uri: REDIRECT_URI, scope: SCOPE },
})

export const login = async () => (await client).loginWithRedirect()
export const callback = async () => (await client).handleRedirectCallback()
export const getAccessToken = async () => (await client).getTokenSilently()
export const logout = async () =>
  (await client).logout({ logoutParams: { returnTo: POST_LOGOUT_REDIRECT_URI } })
