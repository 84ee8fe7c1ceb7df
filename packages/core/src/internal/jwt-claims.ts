/**
 * The registered-claim checks of a signed JWT (RFC 7519 §4.1) after its signature was verified:
 * a JSON object payload, required claims present, `iss`, `aud`, `nbf` and `exp` within the clock
 * tolerance. The ID-token, logout-token and userinfo checks build on it.
 *
 * @module
 */
import { type ErrorCode, ValidationError } from '../errors.ts'

/** What {@link checkJwtClaims} compares the claims with. */
export interface JwtClaimChecks {
  /** The expected `iss`. */
  issuer: string
  /** The expected audience: `aud` must be it or an array containing it. */
  audience: string
  /** Seconds of clock difference accepted for `nbf` and `exp`. */
  clockTolerance: number
  /** Claims that must be present (`iss` and `aud` always are). */
  requiredClaims?: string[]
}

/** One decoder for every JWT (creating one per call costs more than the decoding). */
const utf8 = new TextDecoder('utf-8', { fatal: true })

const CODES: Record<string, ErrorCode> = {
  iss: 'ID_TOKEN_ISS_MISMATCH',
  aud: 'ID_TOKEN_AUD_MISMATCH',
  iat: 'ID_TOKEN_IAT_INVALID',
  nbf: 'ID_TOKEN_IAT_INVALID',
  exp: 'ID_TOKEN_EXPIRED',
}

/**
 * Parses the verified payload and checks its registered claims; returns the claims. Throws
 * ValidationError: `JWT_MALFORMED` (not a JSON object), `ID_TOKEN_CLAIM_MISSING`,
 * `ID_TOKEN_ISS_MISMATCH`, `ID_TOKEN_AUD_MISMATCH`, `ID_TOKEN_IAT_INVALID` (`nbf` in the future,
 * or a non-numeric `iat` / `nbf`), `ID_TOKEN_EXPIRED`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-7.2
 */
export function checkJwtClaims(
  payload: Uint8Array,
  checks: JwtClaimChecks,
): Record<string, unknown> {
  let claims: unknown
  try {
    claims = JSON.parse(utf8.decode(payload))
  } catch {}
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims))
    throw new ValidationError('JWT_MALFORMED', 'The JWT claims are not a JSON object')
  const c = claims as Record<string, unknown>
  for (const name of new Set(['iss', 'aud', ...(checks.requiredClaims ?? [])])) {
    if (!Object.hasOwn(c, name)) fail('ID_TOKEN_CLAIM_MISSING', name, 'is missing')
  }
  if (c.iss !== checks.issuer) fail(CODES.iss!, 'iss', 'names another issuer')
  if (c.aud !== checks.audience && !(Array.isArray(c.aud) && c.aud.includes(checks.audience)))
    fail(CODES.aud!, 'aud', 'does not name this client')
  const now = Math.floor(Date.now() / 1000)
  for (const name of ['iat', 'nbf', 'exp']) {
    if (c[name] !== undefined && typeof c[name] !== 'number')
      fail(CODES[name]!, name, 'is not a number')
  }
  if ((c.nbf as number) > now + checks.clockTolerance) fail(CODES.nbf!, 'nbf', 'is in the future')
  if ((c.exp as number) <= now - checks.clockTolerance) fail(CODES.exp!, 'exp', 'has passed')
  return c
}

function fail(code: ErrorCode, claim: string, what: string): never {
  throw new ValidationError(code, `JWT "${claim}" ${what}`)
}
