// The members of openrp's errors are declared, not defined as class fields: the constructors
// assign them. These pin what an error carries and in which order (what console output and
// JSON.stringify show).
import { describe, expect, it } from 'vitest'
import {
  HttpError,
  InteractionRequiredError,
  OAuthError,
  OpenRpError,
  TimeoutError,
} from '../src/errors.ts'

describe('error members', () => {
  it('gives every error its code, then its name, as enumerable own properties', () => {
    const error = new OpenRpError('STORE_ERROR', 'm', { cause: 1 })
    expect(Object.keys(error)).toEqual(['code', 'name'])
    expect(error).toMatchObject({ code: 'STORE_ERROR', name: 'OpenRpError', cause: 1 })
  })

  it('gives OAuthError each RFC 6749 member, also when undefined', () => {
    const error = new InteractionRequiredError({ error: 'login_required', status: 400 })
    expect(Object.keys(error)).toEqual([
      'code',
      'name',
      'error',
      'errorDescription',
      'errorUri',
      'status',
      'retryAfterMs',
    ])
    expect(error).toMatchObject({
      code: 'INTERACTION_REQUIRED',
      name: 'InteractionRequiredError',
      errorDescription: undefined,
      status: 400,
    })
    expect(new OAuthError({ error: 'x' }).message).toBe('The provider answered "x"')
  })

  it('gives HttpError and TimeoutError their own members', () => {
    expect(Object.keys(new HttpError(503, undefined, { retryAfterMs: 5 }))).toEqual([
      'code',
      'name',
      'status',
      'retryAfterMs',
    ])
    expect(new TimeoutError(5)).toMatchObject({ code: 'TIMEOUT', timeoutMs: 5 })
    expect(Object.keys(new TimeoutError(5))).toEqual(['code', 'name', 'timeoutMs'])
  })
})
