/**
 * @openrp/reference-server — a strict OpenID Provider for tests and local development.
 *
 * @packageDocumentation
 */
export { startReferenceServer } from './server.ts'
export {
  DEMO_ASSERTION_ISSUER,
  DEMO_CLIENTS,
  DEMO_PRIVATE_KEY_JWK,
  DEMO_SAML_CERTIFICATE_PEM,
  DEMO_SAML_ISSUER,
  DEMO_SAML_PRIVATE_KEY_PEM,
  DEMO_SPA_ORIGIN,
  DEMO_TV_ORIGIN,
  DEMO_TRUSTED_ISSUERS,
  DEMO_USERS,
} from './defaults.ts'
export {
  CompleteLoginError,
  completeLogin,
  CookieJar,
  createSamlAssertion,
  type CompletedLogin,
  type CompleteLoginOptions,
  type LogoutReceiver,
  type SamlAssertionOptions,
  startLogoutReceiver,
} from './testing.ts'
export {
  type CertificateIssuer,
  certificateThumbprint,
  createSelfSignedCertificate,
  type IssuedCertificate,
  issueCertificate,
  type SelfSignedCertificate,
  type SelfSignedCertificateOptions,
} from './certificate.ts'
export { organizationSwitchGrant } from './grants/organization-switch.ts'
export type {
  ClientAuthMethod,
  ClientConfig,
  EndpointName,
  Faults,
  Hold,
  HoldOptions,
  HttpFault,
  IdTokenFaults,
  ReferenceServer,
  ReferenceServerOptions,
  RequestRecord,
  ResponseType,
  ServerControl,
  TrustedAssertionIssuer,
  UserConfig,
  VendorGrantContext,
  VendorGrantHandler,
  VendorGrantResult,
} from './types.ts'
