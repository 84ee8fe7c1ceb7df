/**
 * Regression: `returnTo` paths whose dot segments resolve to `//host` passed the origin check
 * (the resolved URL is same-origin) but came back as a protocol-relative URL to another host.
 */
import { isOpenRpError } from '@openrp/core'
import { describe, expect, it } from 'vitest'
import { checkReturnTo } from '../src/return-to.ts'

const origin = 'http://127.0.0.1:4001'

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    return isOpenRpError(error) ? error.code : `not an OpenRpError: ${String(error)}`
  }
  return undefined
}

describe('checkReturnTo refuses every way to come back as //other-host', () => {
  const bypasses = [
    '/.//evil.example',
    '/.//evil.example/phish?x=1#y',
    '/..//evil.example',
    '/a/..//evil.example',
    '/a/b/../..//evil.example',
    '/././/evil.example',
    '/%2e//evil.example',
    `${origin}//evil.example`,
    `${origin}/.//evil.example`,
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/.\\/evil.example',
    'http://evil.example/',
  ]
  for (const returnTo of bypasses) {
    it(`refuses ${JSON.stringify(returnTo)} with REDIRECT_NOT_ALLOWED`, () => {
      expect(codeOf(() => checkReturnTo(returnTo, origin, undefined))).toBe('REDIRECT_NOT_ALLOWED')
      // A prefix list that matches every path does not let them through either.
      expect(codeOf(() => checkReturnTo(returnTo, origin, ['/']))).toBe('REDIRECT_NOT_ALLOWED')
    })
  }

  it('refuses a backslash anywhere in the target', () => {
    expect(codeOf(() => checkReturnTo('/ok?next=\\evil.example', origin, undefined))).toBe(
      'REDIRECT_NOT_ALLOWED',
    )
  })

  it('still resolves harmless dot segments and keeps encoded slashes as a path', () => {
    expect(checkReturnTo('/a/../orders?tab=2#top', origin, undefined)).toBe('/orders?tab=2#top')
    expect(checkReturnTo('/%2F%2Fevil.example', origin, undefined)).toBe('/%2F%2Fevil.example')
    expect(checkReturnTo(`${origin}/#/orders?tab=2`, origin, undefined)).toBe('/#/orders?tab=2')
  })

  it('every accepted target resolves to the app origin', () => {
    for (const returnTo of ['/', '/x//y', '/orders?next=//evil.example', '/#//evil.example']) {
      const target = checkReturnTo(returnTo, origin, undefined)
      expect(new URL(target, 'http://other.test/').origin).toBe('http://other.test')
      expect(new URL(target, `${origin}/`).origin).toBe(origin)
    }
  })
})
