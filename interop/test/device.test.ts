/**
 * Device authorization (RFC 8628) against node-oidc-provider: the TV asks for a code, the user
 * approves it on the OP's own device pages (user code form, confirmation, login, consent) and
 * the TV's polling collects the tokens.
 */
import { isOpenRpError } from '@openrp/core'
import { ManualClock, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CertifiedOp, INTEROP_USER, startCertifiedOp, UserAgent } from '../src/index.ts'
import { clientOf } from './helpers.ts'

let op: CertifiedOp
beforeAll(async () => {
  op = await startCertifiedOp({ generateKeyPair: fixedKeyPairs() })
})
afterAll(() => op?.close())

/** The user types the code on the OP's page, confirms it, logs in and consents. */
async function approveOnTheOpPages(verificationUri: string, userCode: string) {
  const browser = new UserAgent()
  const input = await browser.open(verificationUri)
  const [form] = input.forms
  if (!form) throw new Error(`no user code form at ${verificationUri}`)
  const confirm = await browser.submit(form, { user_code: userCode })
  const [confirmForm] = confirm.forms
  expect(confirmForm?.fields.get('confirm')).toBe('yes')
  return browser.submit(confirmForm!)
}

describe('device authorization against node-oidc-provider', () => {
  it('polls until the user approved on the OP pages, then holds an ID token and a refresh token', async () => {
    const clock = new ManualClock(Date.now())
    const client = await clientOf(op, 'tv', { clock })
    const device = await client.deviceAuthorization({ scope: 'openid profile offline_access' })
    expect(device.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/)
    expect(device.verificationUri).toBe(`${op.issuer}/device`)
    expect(device.verificationUriComplete).toContain('user_code=')
    const polling = device.poll()
    const done = await approveOnTheOpPages(device.verificationUri, device.userCode)
    // The OP sends no interval: the TV waits the default 5 s before it polls (on its clock).
    await clock.advance(5_000)
    const tokens = await polling
    expect(done.status).toBe(200)
    expect(done.body).toContain('Sign-in Success')
    expect(tokens.claims()?.sub).toBe(INTEROP_USER.sub)
    expect(tokens.refreshToken).toEqual(expect.any(String))
    expect((await client.userinfo(tokens)).name).toBe(INTEROP_USER.claims.name)
  })

  it('ends with ACCESS_DENIED when the user aborts on the confirmation page', async () => {
    const clock = new ManualClock(Date.now())
    const client = await clientOf(op, 'tv', { clock })
    const device = await client.deviceAuthorization({ scope: 'openid' })
    const browser = new UserAgent()
    const input = await browser.open(device.verificationUriComplete!)
    // verification_uri_complete carries the code: the OP goes straight to the confirmation.
    const [confirmForm] = input.forms
    expect(confirmForm?.fields.get('user_code')).toBe(device.userCode)
    const polling = device.poll().catch((e) => e)
    await browser.submit(confirmForm!, { abort: 'yes' })
    await clock.advance(5_000)
    const refused = await polling
    expect(isOpenRpError(refused, 'ACCESS_DENIED')).toBe(true)
  })
})
