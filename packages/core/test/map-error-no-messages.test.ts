// Errors of oauth4webapi and jose become openrp codes from their `code`, `cause` and documented
// fields only: the same error with any other message maps to the same code, so a minor release
// that rewords a message cannot turn a refusal into another code.
import { errors as joseErrors } from 'jose'
import * as oauth from 'oauth4webapi'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES, type ErrorCode } from '../src/errors.ts'
import { mapError } from '../src/internal/map-error.ts'

const processing = (code: string, cause: unknown) =>
  new oauth.OperationProcessingError('a message openrp never reads', { code, cause })

const claims = { iss: 'https://op', aud: 'c', exp: 2e9, iat: 1e9, sub: 'alice', nonce: 'n' }

describe('mapError reads codes and causes, not messages', () => {
  const cases: [string, unknown, ErrorCode][] = [
    [
      'aud with extra audiences and no azp',
      processing(oauth.JWT_CLAIM_COMPARISON, { claims, claim: 'aud' }),
      'ID_TOKEN_AZP_MISMATCH',
    ],
    [
      'aud that is not this client',
      processing(oauth.JWT_CLAIM_COMPARISON, { claims, claim: 'aud', expected: 'c' }),
      'ID_TOKEN_AUD_MISMATCH',
    ],
    [
      'nonce comparison',
      processing(oauth.JWT_CLAIM_COMPARISON, { claims, claim: 'nonce', expected: 'x' }),
      'ID_TOKEN_NONCE_MISMATCH',
    ],
    [
      'auth_time too old',
      processing(oauth.JWT_TIMESTAMP_CHECK, { claims, claim: 'auth_time' }),
      'ID_TOKEN_AUTH_TIME_INVALID',
    ],
    [
      'missing sub',
      processing(oauth.INVALID_RESPONSE, { claims: { ...claims, sub: undefined } }),
      'ID_TOKEN_CLAIM_MISSING',
    ],
    [
      'missing iat',
      processing(oauth.INVALID_RESPONSE, { claims: { ...claims, iat: undefined } }),
      'ID_TOKEN_CLAIM_MISSING',
    ],
    [
      'missing nonce',
      processing(oauth.INVALID_RESPONSE, { claims: { ...claims, nonce: undefined } }),
      'ID_TOKEN_NONCE_MISMATCH',
    ],
    [
      'auth_time of the wrong type',
      processing(oauth.INVALID_RESPONSE, { claims: { ...claims, auth_time: 'x' } }),
      'ID_TOKEN_AUTH_TIME_INVALID',
    ],
    [
      'missing auth_time (max_age sent)',
      processing(oauth.INVALID_RESPONSE, { claims }),
      'ID_TOKEN_AUTH_TIME_INVALID',
    ],
    [
      'exp of the wrong type',
      processing(oauth.INVALID_RESPONSE, { claims: { ...claims, exp: 'x' } }),
      'TOKEN_RESPONSE_INVALID',
    ],
    [
      'alg outside the policy',
      processing(oauth.INVALID_RESPONSE, { header: { alg: 'HS256' }, expected: ['RS256'] }),
      'JWT_ALG_NOT_ALLOWED',
    ],
    [
      'jose: missing claim',
      new joseErrors.JWTClaimValidationFailed('reworded', {}, 'sub', 'missing'),
      'ID_TOKEN_CLAIM_MISSING',
    ],
    [
      'jose: wrong issuer',
      new joseErrors.JWTClaimValidationFailed('reworded', {}, 'iss', 'check_failed'),
      'ID_TOKEN_ISS_MISMATCH',
    ],
    [
      'jose: nbf in the future',
      new joseErrors.JWTClaimValidationFailed('reworded', {}, 'nbf', 'check_failed'),
      'ID_TOKEN_IAT_INVALID',
    ],
    [
      'jose: expired',
      new joseErrors.JWTExpired('reworded', {}, 'exp', 'check_failed'),
      'ID_TOKEN_EXPIRED',
    ],
  ]
  for (const [name, error, code] of cases) {
    it(`${name} -> ${code}`, () => {
      expect(mapError(error, 'token').code).toBe(code)
    })
  }
})

describe('ERROR_CODES', () => {
  it('lists each code once', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length)
  })
})
