/** The SPA bundles compared: one entry file per library under bench/size/entries/. */
export interface SizeSubject {
  /** Row label. */
  name: string
  /** Entry file name under bench/size/entries/. */
  entry: string
  /** Packages whose versions the results table reports. */
  packages: string[]
  /** Whether the bundle verifies ID-token signatures. */
  verifiesSignatures: boolean
  /** What the row means, in a few words. */
  note: string
  /** FORBIDDEN_IN_SPA labels this bundle may carry (the TV bundle: the device flow). */
  allows?: string[]
}

export const OPENRP: SizeSubject = {
  name: 'openrp',
  entry: 'openrp.ts',
  packages: ['@openrp/browser', '@openrp/core'],
  verifiesSignatures: true,
  note: 'createSpaClient + IndexedDbStore + WebLocksLock',
}

/** The same steps through `new SpaClient`, naming the store and lock it carries. */
export const OPENRP_SPA_CLIENT: SizeSubject = {
  name: 'openrp (new SpaClient)',
  entry: 'openrp-spa-client.ts',
  packages: ['@openrp/browser', '@openrp/core'],
  verifiesSignatures: true,
  note: 'new SpaClient with IndexedDbStore + WebLocksLock instances',
}

/** A TV web app's bundle: createDeviceLogin with its lazily imported QR encoder counted in. */
export const OPENRP_DEVICE_LOGIN: SizeSubject = {
  name: 'openrp TV (createDeviceLogin)',
  entry: 'openrp-device-login.ts',
  packages: ['@openrp/browser', '@openrp/core'],
  verifiesSignatures: true,
  note: 'createDeviceLogin + IndexedDbStore + WebLocksLock + qrcode',
  allows: ['device flow'],
}

/** The openrp bundles size:check holds to a budget (the SPA ones, then the TV one). */
export const OPENRP_BUNDLES = [OPENRP, OPENRP_SPA_CLIENT, OPENRP_DEVICE_LOGIN]

export const COMPETITORS: SizeSubject[] = [
  {
    name: 'oidc-client-ts',
    entry: 'oidc-client-ts.ts',
    packages: ['oidc-client-ts'],
    verifiesSignatures: false,
    note: 'UserManager, localStorage',
  },
  {
    name: 'auth0-spa-js',
    entry: 'auth0-spa-js.ts',
    packages: ['@auth0/auth0-spa-js'],
    verifiesSignatures: false,
    note: 'createAuth0Client, refresh tokens',
  },
  {
    name: 'msal-browser',
    entry: 'msal-browser.ts',
    packages: ['@azure/msal-browser'],
    verifiesSignatures: false,
    note: 'createStandardPublicClientApplication',
  },
  {
    name: 'okta-auth-js (/core)',
    entry: 'okta-auth-js-core.ts',
    packages: ['@okta/okta-auth-js'],
    verifiesSignatures: true,
    note: 'OktaAuth from the smallest entry',
  },
  {
    name: 'okta-auth-js (default)',
    entry: 'okta-auth-js-default.ts',
    packages: ['@okta/okta-auth-js'],
    verifiesSignatures: true,
    note: 'OktaAuth from the default entry',
  },
  {
    name: 'keycloak-js',
    entry: 'keycloak-js.ts',
    packages: ['keycloak-js'],
    verifiesSignatures: false,
    note: 'Keycloak servers only',
  },
  {
    name: 'oauth4webapi + jose (by hand)',
    entry: 'oauth4webapi-jose.ts',
    packages: ['oauth4webapi', 'jose'],
    verifiesSignatures: true,
    note: 'hand-written storage and lock',
  },
  {
    name: 'openid-client (by hand)',
    entry: 'openid-client.ts',
    packages: ['openid-client'],
    verifiesSignatures: true,
    note: 'enableNonRepudiationChecks; hand-written storage and lock',
  },
]

/**
 * Strings that only a grant or a runtime the SPA does not import would bring: their presence
 * in the openrp SPA bundle means tree-shaking failed.
 */
export const FORBIDDEN_IN_SPA: { label: string; pattern: RegExp }[] = [
  { label: 'device flow', pattern: /urn:ietf:params:oauth:grant-type:device_code/ },
  { label: 'token exchange', pattern: /token-exchange/ },
  { label: 'JWT bearer grant', pattern: /grant-type:jwt-bearer/ },
  { label: 'SAML bearer grant', pattern: /saml2-bearer/ },
  { label: 'Redis', pattern: /redis/i },
  { label: 'node: import', pattern: /["']node:[a-z_/]+["']/ },
]
