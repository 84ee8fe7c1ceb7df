/** The state machine's table, transition by transition. */
import { OpenRpError } from '@openrp/core'
import { describe, expect, it } from 'vitest'
import { type AuthEvent, INITIAL_AUTH_STATE, nextAuthState } from '../src/index.ts'

const user = { sub: 'alice', iss: 'https://op', aud: 'spa', exp: 1, iat: 0 }
const expired = new OpenRpError('SESSION_EXPIRED', 'refresh token refused')
const refused = new OpenRpError('STATE_MISMATCH', 'unknown state')
const hookFailed = new OpenRpError('OAUTH_ERROR', 'onRedirectCallback threw')

describe('nextAuthState', () => {
  it.each<[string, AuthEvent, string, string | undefined]>([
    ['resolved with a user', { type: 'resolved', user }, 'signedIn', undefined],
    ['resolved with nobody', { type: 'resolved', user: undefined }, 'signedOut', undefined],
    [
      'resolved signed in without an ID token',
      { type: 'resolved', user: undefined, signedIn: true },
      'signedIn',
      undefined,
    ],
    [
      'resolved with a user, not signed in',
      { type: 'resolved', user, signedIn: false },
      'signedOut',
      undefined,
    ],
    [
      'resolved with a user and the app hook error',
      { type: 'resolved', user, error: hookFailed },
      'signedIn',
      'OAUTH_ERROR',
    ],
    [
      'resolved with nobody and the app hook error',
      { type: 'resolved', user: undefined, error: hookFailed },
      'signedOut',
      'OAUTH_ERROR',
    ],
    ['failed', { type: 'failed', error: refused }, 'error', 'STATE_MISMATCH'],
    ['login', { type: 'login', user }, 'signedIn', undefined],
    ['refreshed with nobody left', { type: 'refreshed', user: undefined }, 'signedOut', undefined],
    ['logout', { type: 'logout' }, 'signedOut', undefined],
    ['expired', { type: 'expired', error: expired }, 'signedOut', 'SESSION_EXPIRED'],
  ])('%s', (_, event, status, code) => {
    const next = nextAuthState(INITIAL_AUTH_STATE, event)
    expect(next.status).toBe(status)
    expect(next.error?.code).toBe(code)
    expect(next.version).toBe(INITIAL_AUTH_STATE.version + 1)
  })

  it('an event after the app hook error clears it', () => {
    const failed = nextAuthState(INITIAL_AUTH_STATE, {
      type: 'resolved',
      user,
      error: hookFailed,
    })
    expect(nextAuthState(failed, { type: 'refreshed', user })).toMatchObject({
      status: 'signedIn',
      error: undefined,
    })
  })

  it('a login after an error clears the error', () => {
    const failed = nextAuthState(INITIAL_AUTH_STATE, { type: 'failed', error: refused })
    const next = nextAuthState(failed, { type: 'login', user })
    expect(next).toMatchObject({ status: 'signedIn', error: undefined, user })
  })
})
