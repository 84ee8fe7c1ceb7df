// @okta/okta-auth-js through its default entry (what its quick start imports); same steps as
// okta-auth-js-core.ts. PKCE is its default; it verifies ID-token signatures.
import { OktaAuth } from '@okta/okta-auth-js'
import { oktaSteps } from './okta-steps.ts'

export const { login, callback, getAccessToken, logout } = oktaSteps(OktaAuth)
