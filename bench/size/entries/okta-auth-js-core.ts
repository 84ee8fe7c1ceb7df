// @okta/okta-auth-js through its smallest entry that does the job ("/core": OAuth + token
// manager, without the IDX/authn/myaccount APIs). PKCE is its default; it verifies ID-token
// signatures against the provider's JWKS.
import { OktaAuth } from '@okta/okta-auth-js/core'
import { oktaSteps } from './okta-steps.ts'

export const { login, callback, getAccessToken, logout } = oktaSteps(OktaAuth)
