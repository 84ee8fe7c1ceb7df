/**
 * The UserInfo endpoint (OpenID Connect Core §5.3): JSON or signed (`application/jwt`, verified
 * against the provider's JWKS) responses, whose `sub` must be the expected one.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from './client-core.ts'
import { assertDpopKey, withDpopNonceRetry } from './dpop.ts'
import { InvalidArgumentError, ValidationError } from './errors.ts'
import { jwtAlgPolicy } from './id-token-claims.ts'
import { mapError } from './internal/map-error.ts'
import { operation } from './internal/operation.ts'
import { TokenSet } from './token-set.ts'
import { verifyJwt } from './verify-jwt.ts'

/** Options of `client.userinfo()`. */
export interface UserinfoOptions {
  /**
   * The `sub` the answer must carry. Defaults to the TokenSet's ID token `sub`; with a bare
   * access token and no `expectedSubject` the check is skipped.
   */
  expectedSubject?: string
  signal?: AbortSignal
}

/** UserInfo claims; `sub` is always present. */
export interface UserinfoClaims {
  sub: string
  [claim: string]: unknown
}

/**
 * Fetches the user's claims. `USERINFO_SUB_MISMATCH` when `sub` is another user's, signature
 * codes (`JWT_SIGNATURE_INVALID`, ...) for a bad signed response. With the client option
 * `userinfoSignedResponseAlg`, a plain JSON answer is refused with `USERINFO_JWT_EXPECTED` and
 * a JWT signed with another alg with `JWT_ALG_NOT_ALLOWED`.
 *
 * @example
 * ```ts
 * const user = await userinfo(core, tokens) // sub checked against tokens.claims().sub
 * ```
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfoResponse
 */
export async function userinfo(
  core: ClientCore,
  accessTokenOrSet: string | TokenSet,
  options: UserinfoOptions = {},
): Promise<UserinfoClaims> {
  const set = accessTokenOrSet instanceof TokenSet ? accessTokenOrSet : undefined
  const accessToken = set ? set.accessToken : accessTokenOrSet
  if (typeof accessToken !== 'string' || accessToken === '')
    throw new InvalidArgumentError('userinfo() needs an access token or a TokenSet')
  const expectedSubject = options.expectedSubject ?? set?.claims()?.sub
  if (set?.dpopJkt !== undefined) await assertDpopKey(core, set)
  // Each attempt is a new request (a fresh DPoP proof too), so userinfo GETs are retried.
  return operation(
    core,
    { signal: options.signal, retry: true, context: 'userinfo' },
    async (http, deadline) => {
      const handle = await core.dpop()
      const dpop = handle && (set === undefined || set.tokenType === 'DPoP') ? handle : undefined
      return withDpopNonceRetry(core, async () => {
        const response = await oauth.userInfoRequest(core.metadata, core.client, accessToken, {
          ...http,
          ...(dpop && { DPoP: dpop }),
        })
        const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase()
        if (response.status === 200 && type === 'application/jwt') {
          return verifySignedUserinfo(core, await response.text(), expectedSubject, deadline.signal)
        }
        // With userinfoSignedResponseAlg, oauth4webapi refuses the JSON answer itself.
        if (response.status === 200 && core.options.userinfoSignedResponseAlg === undefined) {
          const body = await response
            .clone()
            .json()
            .catch(() => undefined)
          checkSubject(body, expectedSubject)
        }
        const claims = await oauth.processUserInfoResponse(
          core.metadata,
          core.client,
          expectedSubject ?? oauth.skipSubjectCheck,
          response,
        )
        return claims as UserinfoClaims
      })
    },
  )
}

function checkSubject(body: unknown, expected: string | undefined): asserts body is UserinfoClaims {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ValidationError('USERINFO_INVALID', 'The userinfo response is not a JSON object')
  const sub = (body as { sub?: unknown }).sub
  if (typeof sub !== 'string' || sub === '')
    throw new ValidationError('USERINFO_INVALID', 'The userinfo response has no sub')
  if (expected !== undefined && sub !== expected)
    throw new ValidationError(
      'USERINFO_SUB_MISMATCH',
      'The userinfo sub is not the expected subject',
    )
}

async function verifySignedUserinfo(
  core: ClientCore,
  jwt: string,
  expectedSubject: string | undefined,
  signal: AbortSignal | undefined,
): Promise<UserinfoClaims> {
  const algorithms = jwtAlgPolicy(
    core.options.userinfoSignedResponseAlg,
    core.metadata.userinfo_signing_alg_values_supported,
  )
  const { decodeProtectedHeader } = await import('jose')
  try {
    decodeProtectedHeader(jwt)
  } catch (error) {
    throw new ValidationError('USERINFO_INVALID', 'The signed userinfo is not a JWS', {
      cause: error,
    })
  }
  let payload: unknown
  try {
    const result = await verifyJwt(core, jwt, { algorithms }, signal)
    payload = result.payload
  } catch (error) {
    const mapped = mapError(error, 'userinfo')
    if (mapped.code.startsWith('ID_TOKEN_'))
      throw new ValidationError('USERINFO_INVALID', 'The signed userinfo claims are wrong', {
        cause: error,
      })
    throw mapped
  }
  checkSubject(payload, expectedSubject)
  return payload
}
