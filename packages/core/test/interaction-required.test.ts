/**
 * Front-channel errors that mean "the user must interact" (OIDC Core §3.1.2.6:
 * `login_required`, `consent_required`, `interaction_required`, `account_selection_required`)
 * become InteractionRequiredError (code `INTERACTION_REQUIRED`) with the provider's `error`
 * kept; other errors stay plain OAuthErrors. The reference server produces login_required,
 * consent_required and access_denied for real; the two it never sends arrive on a callback URL
 * that carries the transaction's own state and the issuer.
 */
import { CookieJar, completeLogin } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import {
  type AuthTransaction,
  type Client,
  InteractionRequiredError,
  isOpenRpError,
  OAuthError,
} from '../src/index.ts'
import { SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()

function spaClient(): Promise<Client> {
  return h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT })
}

/** The error `handleAuthorizationResponse` rejects with (fails the test if it resolves). */
async function rejection(
  client: Client,
  response: URLSearchParams | string,
  transaction: AuthTransaction,
): Promise<unknown> {
  return client.handleAuthorizationResponse(response, transaction).then(
    () => {
      throw new Error('handleAuthorizationResponse resolved')
    },
    (error: unknown) => error,
  )
}

/** A callback at the redirect URI carrying `error` for this transaction. */
function errorCallback(transaction: AuthTransaction, error: string): string {
  const url = new URL(SPA_REDIRECT)
  url.searchParams.set('error', error)
  url.searchParams.set('error_description', `the provider said ${error}`)
  url.searchParams.set('state', transaction.state)
  url.searchParams.set('iss', h.server.issuer)
  return url.toString()
}

describe('InteractionRequiredError from the provider', () => {
  it('prompt=none without a provider session: login_required', async () => {
    const client = await spaClient()
    const { url, transaction } = await client.createAuthorizationRequest({ prompt: 'none' })
    const { params } = await completeLogin(url, { cookieJar: new CookieJar() })
    expect(params.get('error')).toBe('login_required')

    const error = await rejection(client, params, transaction)
    expect(error).toBeInstanceOf(InteractionRequiredError)
    expect(error).toBeInstanceOf(OAuthError)
    expect(isOpenRpError(error, 'INTERACTION_REQUIRED')).toBe(true)
    expect((error as InteractionRequiredError).error).toBe('login_required')
    expect((error as InteractionRequiredError).errorDescription).toEqual(expect.any(String))
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })

  it('prompt=none for scopes never consented to: consent_required', async () => {
    const jar = new CookieJar()
    const client = await spaClient()
    // Signed in and consented to `openid` only.
    const first = await client.createAuthorizationRequest({ scope: 'openid' })
    const signedIn = await completeLogin(first.url, { cookieJar: jar })
    expect(
      (await client.handleAuthorizationResponse(signedIn.params, first.transaction)).scope,
    ).toBe('openid')
    h.server.control.clearRequests()

    const { url, transaction } = await client.createAuthorizationRequest({
      prompt: 'none',
      scope: 'openid api:read',
    })
    const { params } = await completeLogin(url, { cookieJar: jar })
    const error = await rejection(client, params, transaction)
    expect(error).toBeInstanceOf(InteractionRequiredError)
    expect(isOpenRpError(error) && error.code).toBe('INTERACTION_REQUIRED')
    expect((error as InteractionRequiredError).error).toBe('consent_required')
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })

  it.each([
    'login_required',
    'consent_required',
    'interaction_required',
    'account_selection_required',
  ])('%s on the callback URL is INTERACTION_REQUIRED with the error kept', async (name) => {
    const client = await spaClient()
    const { transaction } = await client.createAuthorizationRequest({ prompt: 'none' })
    const error = await rejection(client, errorCallback(transaction, name), transaction)
    expect(error).toBeInstanceOf(InteractionRequiredError)
    expect(isOpenRpError(error) && error.code).toBe('INTERACTION_REQUIRED')
    expect((error as InteractionRequiredError).error).toBe(name)
    expect((error as InteractionRequiredError).errorDescription).toBe(`the provider said ${name}`)
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })

  it('checks state before the error: interaction_required for another transaction is STATE_MISMATCH', async () => {
    const client = await spaClient()
    const mine = await client.createAuthorizationRequest({ prompt: 'none' })
    const other = await client.createAuthorizationRequest({ prompt: 'none' })
    const error = await rejection(
      client,
      errorCallback(other.transaction, 'interaction_required'),
      mine.transaction,
    )
    expect(error).not.toBeInstanceOf(InteractionRequiredError)
    expect(isOpenRpError(error) && error.code).toBe('STATE_MISMATCH')
  })
})

describe('other front-channel errors', () => {
  it('access_denied (the user denied consent) is an OAuthError, not InteractionRequiredError', async () => {
    const client = await spaClient()
    const { url, transaction } = await client.createAuthorizationRequest()
    // bob has never consented to the spa client: the consent page is shown, and he denies.
    const { params } = await completeLogin(url, {
      username: 'bob',
      password: 'builder',
      deny: true,
    })
    expect(params.get('error')).toBe('access_denied')

    const error = await rejection(client, params, transaction)
    expect(error).toBeInstanceOf(OAuthError)
    expect(error).not.toBeInstanceOf(InteractionRequiredError)
    expect(isOpenRpError(error) && error.code).toBe('ACCESS_DENIED')
    expect((error as OAuthError).error).toBe('access_denied')
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })

  it.each(['invalid_scope', 'server_error', 'temporarily_unavailable'])(
    '%s is OAUTH_ERROR, not INTERACTION_REQUIRED',
    async (name) => {
      const client = await spaClient()
      const { transaction } = await client.createAuthorizationRequest()
      const error = await rejection(client, errorCallback(transaction, name), transaction)
      expect(error).toBeInstanceOf(OAuthError)
      expect(error).not.toBeInstanceOf(InteractionRequiredError)
      expect(isOpenRpError(error) && error.code).toBe('OAUTH_ERROR')
      expect((error as OAuthError).error).toBe(name)
    },
  )
})
