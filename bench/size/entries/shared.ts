/**
 * The same provider and app for every entry, so every bundle does the same job. Nothing here is
 * ever contacted: the bundles are measured, not run.
 */
export const ISSUER = 'https://op.example.test'
export const CLIENT_ID = 'spa'
export const REDIRECT_URI = 'https://app.example.test/callback'
export const POST_LOGOUT_REDIRECT_URI = 'https://app.example.test/'
export const SCOPE = 'openid profile email offline_access api:read'
