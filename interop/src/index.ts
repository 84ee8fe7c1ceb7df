/**
 * `@openrp/interop`: node-oidc-provider, an OpenID-certified OP, started in-process for the
 * interop suite (`interop/test`) and the Chromium spec against it (`e2e/tests`), and the
 * cookie-jar user agent that walks its pages.
 *
 * @module
 */
export {
  API_RESOURCE,
  type CertifiedOp,
  type CertifiedOpOptions,
  type CertifiedOpTls,
  CLIENT_SECRET,
  INTEROP_USER,
  LEGACY_REDIRECT_URI,
  MTLS_ALIASED_PATHS,
  type InteropKeys,
  type OpRequest,
  POST_LOGOUT_REDIRECT_URI,
  REDIRECT_URI,
  startCertifiedOp,
} from './op.ts'
export { ASSERTION_ISSUER, extraTokenClaims, registerAssertionGrants } from './grants.ts'
export { type Arrival, type HtmlForm, type Page, readForms, UserAgent } from './user-agent.ts'
