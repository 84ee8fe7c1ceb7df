/**
 * Small helpers shared by the test pages (bundled into each page).
 */
import { isOpenRpError, OAuthError, type TokenSet } from '@openrp/core'

/** What a page reports for a failure: the typed error's class and stable `code`. */
export interface ErrorOutcome {
  ok: false
  name: string
  code: string | undefined
  /** For people reading a failed test; openrp messages carry no tokens. */
  message: string
  /** The provider's `error` for OAuthError and its subclasses. */
  error?: string
}

/** A token set as a test may see it: fingerprints, never the tokens themselves. */
export interface TokenSummary {
  tokenType: string
  scope: string | undefined
  expiresIn: number | undefined
  /** Hex SHA-256 prefix of the access token. */
  accessToken: string
  refreshToken: string | undefined
  idTokenClaims: Record<string, unknown> | undefined
}

/** First 12 bytes of SHA-256, hex: tells tokens apart without revealing them. */
export async function fingerprint(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
  return [...new Uint8Array(digest).slice(0, 12)]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
}

export async function summarize(tokens: TokenSet): Promise<TokenSummary> {
  return {
    tokenType: tokens.tokenType,
    scope: tokens.scope,
    expiresIn: tokens.expiresIn(),
    accessToken: await fingerprint(tokens.accessToken),
    refreshToken: tokens.refreshToken ? await fingerprint(tokens.refreshToken) : undefined,
    idTokenClaims: tokens.idToken ? { ...tokens.claims() } : undefined,
  }
}

/** Maps a thrown value to an {@link ErrorOutcome}; anything untyped keeps its class name. */
export function describeError(error: unknown): ErrorOutcome {
  const name = error instanceof Error ? error.name : typeof error
  return {
    ok: false,
    name,
    code: isOpenRpError(error) ? error.code : undefined,
    message: error instanceof Error ? error.message : String(error),
    ...(error instanceof OAuthError ? { error: error.error } : {}),
  }
}
