import type { ClientConfig, TrustedAssertionIssuer, UserConfig } from './types.ts'

/**
 * Private half of the `pkjwt` demo client's key (P-256, ES256). Published on purpose: it is for
 * a local test server only and lets demos and tests sign `private_key_jwt` client assertions and
 * RFC 7523 JWT bearer assertions (as {@link DEMO_ASSERTION_ISSUER}).
 */
export const DEMO_PRIVATE_KEY_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'tkgoUJ0OYUEhdRIadfgiu4dmI6x9rhRdpBZikUJLdUY',
  y: 'awdExq-2xV1QH9A3VetMdYdTBFpbDvxx1FDYFYX7-o4',
  d: 'fbbgNstf_IXi1AakozTJBlvpwWK_kbExBNZBrMvblM8',
  kid: 'pkjwt-demo-1',
  alg: 'ES256',
} as const

/** The `iss` of RFC 7523 assertions the server trusts by default (signed with DEMO_PRIVATE_KEY_JWK). */
export const DEMO_ASSERTION_ISSUER = 'https://assertions.example.test'

const { d: _d, ...demoPublicKey } = DEMO_PRIVATE_KEY_JWK

/** Trusted assertion issuers configured by default (JWT bearer, RFC 7523). */
export const DEMO_TRUSTED_ISSUERS: TrustedAssertionIssuer[] = [
  { issuer: DEMO_ASSERTION_ISSUER, jwks: { keys: [{ ...demoPublicKey, use: 'sig' }] } },
]

/** Where the demo SPA is served (`pnpm demo`). Demo clients' redirect URIs point here. */
export const DEMO_SPA_ORIGIN = 'http://127.0.0.1:4001'

const spaRedirects = [
  `${DEMO_SPA_ORIGIN}/`,
  `${DEMO_SPA_ORIGIN}/callback.html`,
  `${DEMO_SPA_ORIGIN}/popup-callback.html`,
  `${DEMO_SPA_ORIGIN}/silent-callback.html`,
]

/** The test users. Passwords are for a local test server only. */
export const DEMO_USERS: UserConfig[] = [
  {
    username: 'alice',
    password: 'wonderland',
    sub: 'a1c3b7e2-5f0d-4c7e-9a51-0a11ce000001',
    claims: {
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      preferred_username: 'alice',
      email: 'alice@example.test',
      email_verified: true,
      locale: 'en-GB',
    },
  },
  {
    username: 'bob',
    password: 'builder',
    sub: 'b0b0b0b0-1111-4222-8333-b0b000000002',
    claims: {
      name: 'Bob Builder',
      given_name: 'Bob',
      family_name: 'Builder',
      preferred_username: 'bob',
      email: 'bob@example.test',
      email_verified: false,
    },
  },
]

/** The demo clients, one per kind of app. Secrets are for a local test server only. */
export const DEMO_CLIENTS: ClientConfig[] = [
  {
    client_id: 'spa',
    client_name: 'Demo SPA (public, code + PKCE)',
    token_endpoint_auth_method: 'none',
    redirect_uris: spaRedirects,
    post_logout_redirect_uris: [`${DEMO_SPA_ORIGIN}/`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'openid profile email offline_access api:read',
  },
  {
    client_id: 'legacy-spa',
    client_name: 'Legacy SPA (hybrid and implicit)',
    token_endpoint_auth_method: 'none',
    redirect_uris: spaRedirects,
    post_logout_redirect_uris: [`${DEMO_SPA_ORIGIN}/`],
    grant_types: ['authorization_code', 'implicit', 'refresh_token'],
    response_types: [
      'code',
      'code id_token',
      'code token',
      'code id_token token',
      'id_token',
      'id_token token',
    ],
    scope: 'openid profile email offline_access api:read',
  },
  {
    client_id: 'web',
    client_name: 'Confidential web app (client_secret_basic)',
    client_secret: 'web-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: ['http://127.0.0.1:4002/callback', `${DEMO_SPA_ORIGIN}/`],
    post_logout_redirect_uris: ['http://127.0.0.1:4002/'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code', 'code id_token'],
    scope: 'openid profile email offline_access api:read api:write',
  },
  {
    client_id: 'cli',
    client_name: 'Command-line app (native, loopback redirect)',
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'openid profile email offline_access api:read',
  },
  {
    client_id: 'm2m',
    client_name: 'Daemon (client credentials)',
    client_secret: 'm2m-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    scope: 'api:read api:write',
    allowed_audiences: ['https://api.example.test', 'https://downstream.example.test'],
  },
  {
    client_id: 'tv',
    client_name: 'TV app (device authorization)',
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    scope: 'openid profile email offline_access api:read',
  },
  {
    client_id: 'exchange',
    client_name: 'Gateway (token exchange, JWT bearer, SAML bearer, organization switch)',
    client_secret: 'exchange-secret',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: [
      'urn:ietf:params:oauth:grant-type:token-exchange',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      'urn:ietf:params:oauth:grant-type:saml2-bearer',
      'organization_switch',
      'client_credentials',
    ],
    scope: 'openid profile email api:read api:write',
    allowed_audiences: ['https://api.example.test', 'https://downstream.example.test'],
  },
  {
    client_id: 'pkjwt',
    client_name: 'Service with private_key_jwt',
    token_endpoint_auth_method: 'private_key_jwt',
    // Public half of DEMO_PRIVATE_KEY_JWK.
    jwks: {
      keys: [
        {
          kty: 'EC',
          crv: 'P-256',
          x: 'tkgoUJ0OYUEhdRIadfgiu4dmI6x9rhRdpBZikUJLdUY',
          y: 'awdExq-2xV1QH9A3VetMdYdTBFpbDvxx1FDYFYX7-o4',
          kid: 'pkjwt-demo-1',
          alg: 'ES256',
          use: 'sig',
        },
      ],
    },
    redirect_uris: ['http://127.0.0.1:4002/callback'],
    grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'openid profile api:read',
  },
  {
    client_id: 'secret-jwt',
    client_name: 'Service with client_secret_jwt',
    client_secret: 'secret-jwt-secret-that-is-at-least-32-bytes-long',
    token_endpoint_auth_method: 'client_secret_jwt',
    grant_types: ['client_credentials'],
    scope: 'api:read',
  },
  {
    client_id: 'legacy-password',
    client_name: 'Legacy first-party app (resource owner password)',
    client_secret: 'password-secret',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['password', 'refresh_token'],
    scope: 'openid profile email offline_access api:read',
  },
]
