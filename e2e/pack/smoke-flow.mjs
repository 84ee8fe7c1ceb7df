// The smoke flow every runtime runs (Node, Bun, Deno, workerd), from the installed tarball of
// @openrp/core, against a reference server on 127.0.0.1: discovery, authorization code + PKCE
// with ID-token validation (the login pages driven over plain HTTP), refresh, userinfo,
// introspection, client credentials with DPoP and private_key_jwt, and a TokenManager over an
// EncryptedStore. Web APIs only (fetch, URL, WebCrypto), like core itself. Returns the names of
// the steps that passed; throws at the first that did not.
import {
  discover,
  EncryptedStore,
  isOpenRpError,
  MemoryStore,
  TokenManager,
  TokenSet,
} from '@openrp/core'

const REDIRECT_URI = 'http://127.0.0.1:4002/callback'

/**
 * @param {{ issuer: string, privateKeyJwk: object }} config the reference server's issuer and
 *   the private JWK of its `pkjwt` demo client (DEMO_PRIVATE_KEY_JWK)
 */
export async function smokeFlow({ issuer, privateKeyJwk }) {
  const passed = []
  const check = (ok, step) => {
    if (!ok) throw new Error(`smoke flow: ${step} failed`)
    passed.push(step)
  }

  const web = await discover(issuer, {
    clientId: 'web',
    clientSecret: 'web-secret',
    redirectUri: REDIRECT_URI,
    scope: 'openid profile offline_access api:read',
  })
  check(web.metadata.issuer === issuer && Boolean(web.metadata.token_endpoint), 'discovery')

  const { url, transaction } = await web.createAuthorizationRequest({ prompt: 'consent' })
  check(url.searchParams.get('code_challenge_method') === 'S256', 'PKCE challenge sent')
  const params = await login(url, { username: 'alice', password: 'wonderland' })
  const tokens = await web.handleAuthorizationResponse(params, transaction)
  check(
    tokens instanceof TokenSet && tokens.claims()?.nonce === transaction.nonce,
    'code + PKCE, ID token validated',
  )
  const sub = tokens.claims()?.sub

  const tampered = new URLSearchParams(params)
  tampered.set('state', 'not-the-state')
  const refused = await web.handleAuthorizationResponse(tampered, transaction).then(
    () => undefined,
    (error) => error,
  )
  check(isOpenRpError(refused, 'STATE_MISMATCH'), 'a wrong state is a typed error')

  const user = await web.userinfo(tokens, { expectedSubject: sub })
  check(user.sub === sub, 'userinfo')

  const active = await web.introspect(tokens.accessToken)
  check(active.active === true && active.sub === sub, 'introspection')

  const refreshed = await web.refresh(tokens)
  check(refreshed.accessToken !== tokens.accessToken && refreshed.claims()?.sub === sub, 'refresh')

  const pkjwt = await discover(issuer, {
    clientId: 'pkjwt',
    clientAuth: 'private_key_jwt',
    privateKey: privateKeyJwk,
    dpop: true,
  })
  const m2m = await pkjwt.clientCredentials({ scope: 'api:read' })
  check(m2m.tokenType === 'DPoP', 'client credentials with DPoP and private_key_jwt')

  const key = crypto.getRandomValues(new Uint8Array(32))
  const store = new EncryptedStore(new MemoryStore(), { key })
  const manager = new TokenManager({ client: web, store, key: 'session' })
  await manager.setTokenSet(refreshed)
  check((await manager.getAccessToken()) === refreshed.accessToken, 'TokenManager cached token')
  const stale = TokenSet.fromJSON({
    ...refreshed.toJSON(),
    expiresAt: Math.floor(Date.now() / 1000) - 1,
  })
  await manager.setTokenSet(stale)
  const renewed = await manager.getAccessToken()
  check(
    renewed !== refreshed.accessToken && renewed === (await manager.getTokenSet())?.accessToken,
    'TokenManager refresh over an encrypted store',
  )

  return passed
}

/** Goes through the reference server's login and consent pages; returns the callback params. */
async function login(authorizationUrl, { username, password }) {
  const origin = new URL(authorizationUrl).origin
  const cookies = new Map()
  let url = new URL(authorizationUrl)
  let init = { method: 'GET' }
  for (let step = 0; step < 20; step++) {
    const headers = new Headers(init.headers)
    if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? ''
      const eq = pair.indexOf('=')
      if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel()
      const next = new URL(response.headers.get('location') ?? '', url)
      if (next.origin !== origin) return new URLSearchParams(next.search)
      url = next
      init = { method: 'GET' }
      continue
    }
    const page = await response.text()
    const form = /<form\b[^>]*data-openrp="(login|consent)"[^>]*>([\s\S]*?)<\/form>/.exec(page)
    if (!form) throw new Error(`login: unexpected page ${response.status} at ${url.pathname}`)
    const fields = {}
    for (const tag of form[2].match(/<input\b[^>]*>/g) ?? []) {
      const name = /\bname="([^"]*)"/.exec(tag)?.[1]
      if (name) fields[name] = unescapeHtml(/\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '')
    }
    if (form[1] === 'login') Object.assign(fields, { username, password })
    else fields.decision = 'approve'
    url = new URL(unescapeHtml(/\baction="([^"]*)"/.exec(form[0])?.[1] ?? ''), url)
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    }
  }
  throw new Error('login: too many steps')
}

function unescapeHtml(text) {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}
