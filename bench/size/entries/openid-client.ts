// openid-client by hand, with enableNonRepudiationChecks for ID-token signatures. Transaction,
// storage and the cross-tab lock are hand-written (by-hand-storage.ts).
import * as oidc from 'openid-client'
import {
  clearTokens,
  isFresh,
  readTokens,
  refreshOnce,
  saveTokens,
  saveTransaction,
  takeTransaction,
} from './by-hand-storage.ts'
import { CLIENT_ID, ISSUER, POST_LOGOUT_REDIRECT_URI, REDIRECT_URI, SCOPE } from './shared.ts'

let discovered: Promise<oidc.Configuration> | undefined
const config = () =>
  (discovered ??= oidc.discovery(new URL(ISSUER), CLIENT_ID, undefined, oidc.None()).then((c) => {
    oidc.enableNonRepudiationChecks(c)
    return c
  }))

export async function login(): Promise<void> {
  const c = await config()
  const codeVerifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const nonce = oidc.randomNonce()
  saveTransaction({ codeVerifier, state, nonce })
  location.assign(
    oidc.buildAuthorizationUrl(c, {
      redirect_uri: REDIRECT_URI,
      scope: SCOPE,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    }),
  )
}

export async function callback(): Promise<void> {
  const c = await config()
  const tx = takeTransaction()
  const result = await oidc.authorizationCodeGrant(c, new URL(location.href), {
    pkceCodeVerifier: tx.codeVerifier,
    expectedState: tx.state,
    expectedNonce: tx.nonce,
    idTokenExpected: true,
  })
  saveTokens(result)
  history.replaceState(null, '', REDIRECT_URI)
}

export async function getAccessToken(): Promise<string> {
  const cached = readTokens()
  if (cached && isFresh(cached)) return cached.access_token
  return refreshOnce(async (current) =>
    saveTokens(await oidc.refreshTokenGrant(await config(), current.refresh_token!), current),
  )
}

export async function logout(): Promise<void> {
  const c = await config()
  const tokens = readTokens()
  clearTokens()
  const params: Record<string, string> = { post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI }
  if (tokens?.id_token) params.id_token_hint = tokens.id_token
  location.assign(oidc.buildEndSessionUrl(c, params))
}
