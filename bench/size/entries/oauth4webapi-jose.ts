// oauth4webapi by hand, plus jose for the ID-token signature: a common way to write it
// (oauth4webapi's validateApplicationLevelSignature, as openid-client uses it, would spare
// jose). Transaction, storage and the cross-tab lock are hand-written
// (by-hand-storage.ts).
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose'
import * as oauth from 'oauth4webapi'
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

const issuer = new URL(ISSUER)
const client: oauth.Client = { client_id: CLIENT_ID }
const clientAuth = oauth.None()
let discovered: Promise<oauth.AuthorizationServer> | undefined
let jwks: JWTVerifyGetKey | undefined

const server = () =>
  (discovered ??= oauth
    .discoveryRequest(issuer)
    .then((res) => oauth.processDiscoveryResponse(issuer, res)))

async function verifySignature(as: oauth.AuthorizationServer, idToken: string | undefined) {
  if (!idToken) return
  jwks ??= createRemoteJWKSet(new URL(as.jwks_uri!))
  await jwtVerify(idToken, jwks, { issuer: as.issuer, audience: CLIENT_ID })
}

export async function login(): Promise<void> {
  const as = await server()
  const codeVerifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const nonce = oauth.generateRandomNonce()
  saveTransaction({ codeVerifier, state, nonce })
  const url = new URL(as.authorization_endpoint!)
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: SCOPE,
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }).toString()
  location.assign(url)
}

export async function callback(): Promise<void> {
  const as = await server()
  const tx = takeTransaction()
  const params = oauth.validateAuthResponse(as, client, new URL(location.href), tx.state)
  const res = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    clientAuth,
    params,
    REDIRECT_URI,
    tx.codeVerifier,
  )
  const result = await oauth.processAuthorizationCodeResponse(as, client, res, {
    expectedNonce: tx.nonce,
    requireIdToken: true,
  })
  await verifySignature(as, result.id_token)
  saveTokens(result)
  history.replaceState(null, '', REDIRECT_URI)
}

export async function getAccessToken(): Promise<string> {
  const cached = readTokens()
  if (cached && isFresh(cached)) return cached.access_token
  return refreshOnce(async (current) => {
    const as = await server()
    const res = await oauth.refreshTokenGrantRequest(as, client, clientAuth, current.refresh_token!)
    const result = await oauth.processRefreshTokenResponse(as, client, res)
    await verifySignature(as, result.id_token)
    return saveTokens(result, current)
  })
}

export async function logout(): Promise<void> {
  const as = await server()
  const tokens = readTokens()
  clearTokens()
  const url = new URL(as.end_session_endpoint!)
  url.searchParams.set('client_id', CLIENT_ID)
  url.searchParams.set('post_logout_redirect_uri', POST_LOGOUT_REDIRECT_URI)
  if (tokens?.id_token) url.searchParams.set('id_token_hint', tokens.id_token)
  location.assign(url)
}
