/**
 * Sign-in for CLIs and desktop apps (RFC 8252): authorization code + PKCE through the system
 * browser, with the response caught by a one-shot listener on a loopback address.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252
 * @module
 */
import {
  AbortError,
  ANSWER_TIMEOUT_MS,
  type AuthTransaction,
  type Client,
  InvalidArgumentError,
  isOpenRpError,
  type TokenSet,
} from '@openrp/core'
import type { StatusOutput } from './internal/status-line.ts'
import { startLoopbackListener } from './loopback-listener.ts'
import { openBrowser } from './open-browser.ts'

/** After this long (the client's clock) without an answer, `output` says the provider is slow. */
const SLOW_ANSWER_NOTICE_MS = 10_000

/** Options of {@link loopbackLogin}. */
export interface LoopbackLoginOptions {
  /** Scope to request (default: the client's `scope`). */
  scope?: string
  /** e.g. `login` to force re-authentication, `consent`. */
  prompt?: string
  loginHint?: string
  /** Seconds; the ID token's `auth_time` is checked against it. */
  maxAge?: number
  acrValues?: string
  /** Further authorization request parameters (never the security ones). */
  extraParams?: Record<string, string>
  /** Loopback IP to listen on: `127.0.0.1` (default) or `::1`. */
  host?: '127.0.0.1' | '::1'
  /** Port to listen on; 0 (default) picks a free one (the provider must allow any port). */
  port?: number
  /** Path of the redirect URI (default `/callback`), matched exactly. */
  path?: string
  /**
   * How long to wait for the browser to come back, ms of the client's `clock` (default 300 000
   * = 5 minutes). The code exchange that follows has a deadline of its own: 5 minutes, or the
   * client's `timeoutMs` when that is longer.
   */
  timeoutMs?: number
  /** Cancels the login (`ABORTED`), the code exchange included; the listener is closed. */
  signal?: AbortSignal
  /**
   * Open the system browser (default `true`), not at all (`false`), or with your own function
   * (resolve `true` when it opened something).
   */
  openBrowser?: boolean | ((url: URL) => boolean | Promise<boolean>)
  /** Called with the authorization URL before the browser is opened (e.g. to print it). */
  onAuthorizationUrl?: (url: URL) => void | Promise<void>
  /** Where to tell the user what to do (default `process.stdout`; `null` for nothing). */
  output?: StatusOutput | null
}

/**
 * Signs the user in through the system browser and resolves with the tokens.
 *
 * Listens on `http://127.0.0.1:<free port>/callback`, builds an authorization request with
 * that redirect URI (PKCE S256, state, nonce), opens the browser when it can and prints the
 * URL in any case, waits for the one callback whose `state` matches, redeems the code, and
 * answers the browser with a small page saying whether it worked. The listener is closed when
 * the call settles; `timeoutMs` ends the wait with `TIMEOUT`, `signal` with `ABORTED`.
 *
 * The provider spends the code when the token request arrives, so the exchange is not cut
 * short at the client's `timeoutMs`: it waits up to 5 minutes for a slow provider (saying so on
 * `output` after 10 seconds), and only `signal` ends it sooner.
 *
 * The provider must register the client as native with a loopback redirect URI
 * (`http://127.0.0.1/callback`), which matches any port (RFC 8252 §7.3).
 *
 * @example
 * ```ts
 * const client = await discover(issuer, { clientId: 'cli', scope: 'openid profile' })
 * const tokens = await loopbackLogin(client)
 * console.log(`Signed in as ${tokens.claims()?.sub}`)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export async function loopbackLogin(
  client: Client,
  options: LoopbackLoginOptions = {},
): Promise<TokenSet> {
  const output = options.output === undefined ? process.stdout : options.output
  // Checked before anything starts: the browser must not open for a login that cannot wait.
  if (options.signal?.aborted) throw new AbortError('The sign-in was cancelled')
  const { timeoutMs } = options
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0))
    throw new InvalidArgumentError('timeoutMs must be a positive number')
  const listener = await startLoopbackListener({
    ...(options.host !== undefined && { host: options.host }),
    ...(options.port !== undefined && { port: options.port }),
    ...(options.path !== undefined && { path: options.path }),
  })
  try {
    const { url, transaction } = await client.createAuthorizationRequest({
      redirectUri: listener.redirectUri,
      ...(options.scope !== undefined && { scope: options.scope }),
      ...(options.prompt !== undefined && { prompt: options.prompt }),
      ...(options.loginHint !== undefined && { loginHint: options.loginHint }),
      ...(options.maxAge !== undefined && { maxAge: options.maxAge }),
      ...(options.acrValues !== undefined && { acrValues: options.acrValues }),
      ...(options.extraParams !== undefined && { extraParams: options.extraParams }),
      ...(options.signal !== undefined && { signal: options.signal }),
    })
    const waiting = listener.waitForCallback({
      state: transaction.state,
      clock: client.core.options.clock,
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.signal !== undefined && { signal: options.signal }),
    })
    // Keep an early rejection (abort, timeout) from surfacing as unhandled while we print.
    waiting.catch(() => {})
    await options.onAuthorizationUrl?.(url)
    const opened = await open(url, options.openBrowser)
    output?.write(
      opened
        ? `Your browser has been opened to sign in. If it did not open, visit:\n\n  ${url.href}\n\n`
        : `Open this address in a browser to sign in:\n\n  ${url.href}\n\n`,
    )
    const callback = await waiting
    try {
      const tokens = await redeem(client, callback.url, transaction, options.signal, output)
      await callback.respond({ ok: true })
      output?.write('Signed in.\n')
      return tokens
    } catch (error) {
      await callback.respond({ ok: false, message: browserMessage(error) })
      throw error
    }
  } finally {
    await listener.close()
  }
}

/**
 * Redeems the code of the callback under the exchange's own deadline, telling `output` when
 * the answer is slow to come.
 */
async function redeem(
  client: Client,
  callbackUrl: URL,
  transaction: AuthTransaction,
  signal: AbortSignal | undefined,
  output: StatusOutput | null,
): Promise<TokenSet> {
  const { clock, timeoutMs } = client.core.options
  const notice = clock.setTimeout(
    () => output?.write('The provider is slow to answer; still waiting for the tokens...\n'),
    SLOW_ANSWER_NOTICE_MS,
  )
  try {
    return await client.handleAuthorizationResponse(callbackUrl, transaction, {
      signal,
      timeoutMs: Math.max(timeoutMs, ANSWER_TIMEOUT_MS),
    })
  } finally {
    clock.clearTimeout(notice)
  }
}

async function open(url: URL, how: LoopbackLoginOptions['openBrowser']): Promise<boolean> {
  if (how === false) return false
  try {
    return typeof how === 'function' ? (await how(url)) === true : await openBrowser(url)
  } catch {
    return false
  }
}

function browserMessage(error: unknown): string {
  if (isOpenRpError(error, 'ACCESS_DENIED'))
    return 'The request was declined, so nothing was signed in. You can close this tab.'
  const code = isOpenRpError(error) ? ` (${error.code})` : ''
  return `The sign-in could not be completed${code}. Close this tab and try again from the app.`
}
