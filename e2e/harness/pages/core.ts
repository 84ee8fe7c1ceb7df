/**
 * The core test page: @openrp/core bundled for the browser, driven by the core-in-Chromium
 * suite. Everything protocol-related (discovery, grants, ID-token signature checks) runs here,
 * in the page, against the reference server; the spec only drives the login form and reads
 * outcomes.
 */
import { type AuthTransaction, type Client, discover, type TokenSet } from '@openrp/core'
import type { CallbackOutcome, CoreSuite, LoginOptions, Outcome } from './core-api.ts'
import { describeError, summarize } from './page-kit.ts'

const TX_PREFIX = 'core-page:tx:'

interface PendingLogin {
  issuer: string
  options: LoginOptions
  transaction: AuthTransaction
}

let current: { client: Client; tokens: TokenSet; callbackUrl: string } | undefined
let pending: PendingLogin | undefined

const redirectUri = () => new URL(location.pathname, location.origin).href

async function attempt<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, ...(await fn()) }
  } catch (error) {
    return describeError(error)
  }
}

function transactionsLeft(): number {
  return Object.keys(sessionStorage).filter((k) => k.startsWith(TX_PREFIX)).length
}

async function handleCallback(url: string): Promise<CallbackOutcome> {
  return attempt(async () => {
    const state = new URL(url).searchParams.get('state') ?? ''
    const raw = sessionStorage.getItem(TX_PREFIX + state)
    // Single use: the transaction goes before the response is even looked at.
    sessionStorage.removeItem(TX_PREFIX + state)
    history.replaceState(null, '', redirectUri())
    if (!raw) throw new Error('no transaction for this state')
    pending = JSON.parse(raw) as PendingLogin
    const client = await discover(pending.issuer, {
      clientId: pending.options.clientId,
      redirectUri: redirectUri(),
    })
    const tokens = await client.handleAuthorizationResponse(url, pending.transaction)
    current = { client, tokens, callbackUrl: url }
    return { tokens: await summarize(tokens), transactionsLeft: transactionsLeft() }
  })
}

function need(): NonNullable<typeof current> {
  if (!current) throw new Error('no tokens: log in first')
  return current
}

const suite: CoreSuite = {
  discovery: (issuer) =>
    attempt(async () => {
      const client = await discover(issuer, { clientId: 'discovery-only' })
      const m = client.metadata as Record<string, unknown>
      const pick = [
        'issuer',
        'authorization_endpoint',
        'token_endpoint',
        'jwks_uri',
        'userinfo_endpoint',
        'code_challenge_methods_supported',
        'authorization_response_iss_parameter_supported',
      ]
      return { metadata: Object.fromEntries(pick.map((k) => [k, m[k]])) }
    }),

  clientCredentials: (issuer, { clientId, clientSecret, scope, dpop }) =>
    attempt(async () => {
      const client = await discover(issuer, { clientId, clientSecret, dpop: dpop ?? false })
      const tokens = await client.clientCredentials({ scope })
      if (!dpop) return { tokens: await summarize(tokens) }
      const response = await client.fetchProtectedResource(`${issuer}/api/me`, tokens)
      return {
        tokens: await summarize(tokens),
        api: { status: response.status, body: await response.json() },
      }
    }),

  async beginLogin(issuer, options) {
    const client = await discover(issuer, {
      clientId: options.clientId,
      redirectUri: redirectUri(),
    })
    // offline_access (a refresh token) needs prompt=consent (OpenID Connect Core §11).
    const { url, transaction } = await client.createAuthorizationRequest({
      scope: options.scope,
      prompt: 'consent',
    })
    const record: PendingLogin = { issuer, options, transaction }
    sessionStorage.setItem(TX_PREFIX + transaction.state, JSON.stringify(record))
    setTimeout(() => location.assign(url), 0)
    return Object.fromEntries(url.searchParams)
  },

  refresh: () =>
    attempt(async () => {
      const session = need()
      session.tokens = await session.client.refresh(session.tokens)
      return { tokens: await summarize(session.tokens) }
    }),

  userinfo: () =>
    attempt(async () => {
      const session = need()
      return { claims: { ...(await session.client.userinfo(session.tokens)) } }
    }),

  replayCallback: () =>
    attempt(async () => {
      const session = need()
      if (!pending) throw new Error('no transaction was handled')
      const tokens = await session.client.handleAuthorizationResponse(
        session.callbackUrl,
        pending.transaction,
      )
      return { tokens: await summarize(tokens) }
    }),
}

const params = new URLSearchParams(location.search)
if (params.has('state') || params.has('code') || params.has('error')) {
  suite.callback = handleCallback(location.href)
}
window.coreSuite = suite
document.body.dataset.ready = 'true'
