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

/**
 * Private key (RSA 2048, PKCS#8 PEM) of the demo SAML identity provider, {@link DEMO_SAML_ISSUER}.
 * A test key, published on purpose: it is for a local test server only and lets tests and demos
 * sign RFC 7522 SAML 2.0 bearer assertions (see `createSamlAssertion`). Never trust it anywhere else.
 */
export const DEMO_SAML_PRIVATE_KEY_PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDUXHAw6XXGM4y9',
  'D2NcSiGNL2wKc1TZN84s5Bky+vhiipboFvbYTdzCseUnSgIFZ4ZoDkIsobA01PIs',
  'Wu45sE08BefQw3BohWON/T2hugEyUyOVOZlrXyBOsogiJ0OsrkHvb+D6I9PWvUCm',
  'N7hp1rR8fo17Bto8/gEx2w4hBn2bpCb4Vsy7dEtEdOmzOUTK1vnR24/lsy+Cyje/',
  'V8gj0nqfVPMCXLltm66cTB3f0eXmsHaLzSsLJJNYmQzVlbwqw7sJnWgD7Fn1Rmov',
  'a6HGE02WjQBYvNws9Lz1aYOk7MWuyPesG8n9VklMVzWv3h9N0fBajKFKAg6chmPT',
  'xub+cIAvAgMBAAECggEAAXGNa6+ylsHT85cOsFpqpviLDfkhuwZHlwOH7lJJbPYP',
  'N42saOUCmqo16hH1OI8vGTb7mS0SMxG9gbKuiuLZa46IuGETuwopFpaBnD9U8cAh',
  '7kpBcjrnz9Ej3sOQkLRwi02h5GFo9706msanMMT+XhhIIu11f1Oks2+PRYczRGMS',
  'mpNmAJSDKvQTL+/L5MZpzJolrNW/v9IGHY3ePx3SrLPOpjOjIlnN6t1l/AUDSBBY',
  'BB0ydm6DtudvrC8/Sf7dVWZ5ZbHTlee0b//VsHdl6GqV/yOHL3p+3oABmGm924Mk',
  'gsLThmRaeak8GwLKvyzcPDHCkSgF5PKkqe3TThNrbQKBgQDyun9g//BsXiN2ufAj',
  'Apyye2iSX7ngN5SHdxKjFQQPIpdXTigYKPdonVCcYZ3T+VSWN0UXHpJ1m9Pyyt+y',
  'v4DwgmLwU5mFw0A7vLVWchMT6F+xKBL5qTZu6PDzeqnLlvOkBthxMbd5HR6WVcr3',
  'DJ8onCOX4n+0C0HjokwDdPZtYwKBgQDf+OJLRySgSLqGyr/kQUyf0pnn/BrgovjQ',
  'asH0go4uRikmeSQPUVGovG47b0OzEX0owioUtkfneyzHgySrU5zR2KZT9uAHNHFw',
  '/QrxzJ/CQ0xjv3I/BvGI84vCNGlScObXAUxgbXM3nEf8A6awv9gKFS7ZLtsbFkYp',
  'GDPJcqZRxQKBgQCC8pIdpnXyQKcpOg6PFK2srF8x+Gqyx8lde6OWT5QtBiBXfVas',
  'Eg3HZndCpncbEHvNvmuLmXax9CtX5JLiP+Yz2mO9+5vrSfaxQ5Eg3dHk/4wAavox',
  'rlQraYf0EszfhMRUTU0fZA7zS/5gZFBnD2wd4H5jRlJWs2wMflY71zHKuQKBgHWi',
  'LZCmFAmPSVCEapbC6TDEFwut8JvtXMtyVt5KN8z8Ep7fX14gMshx91+GB8OkOt1O',
  'ZXWta0ScAB/ltDu71ZCtvmY5Mt7132MdtELdW0dXu2ZkZefOiMuKRuxARNUE8WkZ',
  'iHjY43vgvDoT3NfWWuyoxYtSPcgTQdRRntl+OvaVAoGBAIa9zZNEor5z32rXDair',
  'FSuBE7Ktz3xrRqBL/3B/4YpP9jLPe/GlX7DOuXNuQ/Rl6wZoExyYOHxJf2vmamGJ',
  '/dwM0cD9qbqHoThmyvB2c8WIDOWy31N3H+MhD78rLR2LsRD6XmLcIVX7esb9WmLp',
  'aU2erDuRBsKoXZ8n+66E00uk',
  '-----END PRIVATE KEY-----',
].join('\n')

/**
 * Self-signed certificate of the demo SAML identity provider (valid until 2126). A test
 * certificate, published on purpose, matching {@link DEMO_SAML_PRIVATE_KEY_PEM}.
 */
export const DEMO_SAML_CERTIFICATE_PEM = [
  '-----BEGIN CERTIFICATE-----',
  'MIIDYzCCAkugAwIBAgIUSBihuz+gdjllypqurRmVdmsnbiEwDQYJKoZIhvcNAQEL',
  'BQAwQDE+MDwGA1UEAww1b3BlbnJwIGRlbW8gU0FNTCBJZFAgKHRlc3Qga2V5LCBw',
  'dWJsaXNoZWQgb24gcHVycG9zZSkwIBcNMjYxMTIzMDg0MzM4WhgPMjEyNjEwMzAw',
  'ODQzMzhaMEAxPjA8BgNVBAMMNW9wZW5ycCBkZW1vIFNBTUwgSWRQICh0ZXN0IGtl',
  'eSwgcHVibGlzaGVkIG9uIHB1cnBvc2UpMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A',
  'MIIBCgKCAQEA1FxwMOl1xjOMvQ9jXEohjS9sCnNU2TfOLOQZMvr4YoqW6Bb22E3c',
  'wrHlJ0oCBWeGaA5CLKGwNNTyLFruObBNPAXn0MNwaIVjjf09oboBMlMjlTmZa18g',
  'TrKIIidDrK5B72/g+iPT1r1Apje4ada0fH6NewbaPP4BMdsOIQZ9m6Qm+FbMu3RL',
  'RHTpszlEytb50duP5bMvgso3v1fII9J6n1TzAly5bZuunEwd39Hl5rB2i80rCyST',
  'WJkM1ZW8KsO7CZ1oA+xZ9UZqL2uhxhNNlo0AWLzcLPS89WmDpOzFrsj3rBvJ/VZJ',
  'TFc1r94fTdHwWoyhSgIOnIZj08bm/nCALwIDAQABo1MwUTAdBgNVHQ4EFgQUq2WI',
  'qk5KTjwHDFXbsbClkaUO6awwHwYDVR0jBBgwFoAUq2WIqk5KTjwHDFXbsbClkaUO',
  '6awwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAKg8Q2W0JhDcy',
  'fe2AdSlGab0qrixq6N4Qt5KzvoU2+uTqy2f1u8E18LTmmtpQS1CW+ATIv/TUJoCR',
  'u7i9MoqP1HtC143MHqub3zaAfuW9nTdlmVZvLd032emgUw7vYQf4g7+yYCdUn7h+',
  'e2oKAXMCX0gDrwgvcp5Th+9DfvCwnRMz7iD7L2zPkZK7603tH8pwKPSsQrSm8JSX',
  'pEY4uqvEUtNBd3Xyh+mln7+v33Swdyx5Bf37wyzwprPFwMiukyM3FE37/bnJLszF',
  'Law7FM1yGH7BDY1IEVjZjtaNFjMXVWrDnRAQoo4uCKq3TAIPyVA4XYRRexRQNgKn',
  'ihVln9DGJg==',
  '-----END CERTIFICATE-----',
].join('\n')

/** The `Issuer` of RFC 7522 SAML assertions the server trusts by default (signed with DEMO_SAML_PRIVATE_KEY_PEM). */
export const DEMO_SAML_ISSUER = 'https://saml-idp.example.test'

const { d: _d, ...demoPublicKey } = DEMO_PRIVATE_KEY_JWK

/**
 * Trusted assertion issuers configured by default: {@link DEMO_ASSERTION_ISSUER} for JWT bearer
 * (RFC 7523) and {@link DEMO_SAML_ISSUER} for SAML 2.0 bearer (RFC 7522).
 */
export const DEMO_TRUSTED_ISSUERS: TrustedAssertionIssuer[] = [
  { issuer: DEMO_ASSERTION_ISSUER, jwks: { keys: [{ ...demoPublicKey, use: 'sig' }] } },
  { issuer: DEMO_SAML_ISSUER, certificate: DEMO_SAML_CERTIFICATE_PEM },
]

/** Where the demo SPA is served (`pnpm demo`). Demo clients' redirect URIs point here. */
export const DEMO_SPA_ORIGIN = 'http://127.0.0.1:4001'

/**
 * Where the demo TV app is served (`pnpm demo`). It has no redirect URI (the device flow needs
 * none), so the default CORS origins name it explicitly: it calls the device authorization,
 * token, userinfo, revocation and demo API endpoints with fetch.
 */
export const DEMO_TV_ORIGIN = 'http://127.0.0.1:4003'

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
