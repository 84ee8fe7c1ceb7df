/**
 * OpenID Foundation RP certification, userinfo cases: `rp-userinfo-bad-sub-claim`,
 * `rp-userinfo-bearer-header`, `rp-userinfo-sig` (signed userinfo is verified) and
 * `rp-scope-userinfo-claims`.
 */
import { DEMO_USERS } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import type { ResponseType } from '../../src/index.ts'
import { authorize, refused, session, useProvider } from './harness.ts'

const p = useProvider()
const alice = DEMO_USERS[0]!

/** Logs in and returns the client plus the validated token set. */
async function signedIn(responseType: ResponseType = 'code') {
  const client = await p.legacy()
  const s = session(client)
  const tokens = await s.callback(await authorize(p, client, { responseType }))
  return { client, tokens }
}

describe('rp-userinfo-bad-sub-claim', () => {
  it.each<ResponseType>([
    'code',
    'id_token token',
    'code id_token',
    'code token',
    'code id_token token',
  ])('%s: refuses claims about another subject', async (responseType) => {
    const { client, tokens } = await signedIn(responseType)
    p.server.control.setFaults({ userinfo: { sub: 'someone-else' } })
    await refused(client.userinfo(tokens), 'USERINFO_SUB_MISMATCH')
  })

  it('refuses claims about another subject given an explicit expectedSubject', async () => {
    const { client, tokens } = await signedIn()
    p.server.control.setFaults({ userinfo: { sub: 'someone-else' } })
    await refused(
      client.userinfo(tokens.accessToken, { expectedSubject: alice.sub }),
      'USERINFO_SUB_MISMATCH',
    )
  })
})

describe('rp-userinfo-bearer-header / rp-scope-userinfo-claims', () => {
  it('reads the profile claims of the ID token subject', async () => {
    const { client, tokens } = await signedIn()
    const claims = await client.userinfo(tokens)
    expect(claims).toMatchObject({ sub: alice.sub, name: alice.claims.name })
    expect(p.hits('userinfo')).toBe(1)
  })
})

describe('rp-userinfo-sig: signed userinfo responses are verified', () => {
  it('accepts a signed response and returns its claims', async () => {
    const { client, tokens } = await signedIn()
    p.server.control.setFaults({ userinfo: { signed: true } })
    await expect(client.userinfo(tokens)).resolves.toMatchObject({ sub: alice.sub })
  })

  it('refuses a signed response with a bad signature', async () => {
    const { client, tokens } = await signedIn()
    p.server.control.setFaults({ userinfo: { badSignature: true } })
    await refused(client.userinfo(tokens), 'JWT_SIGNATURE_INVALID')
  })

  it('refuses a signed response about another subject', async () => {
    const { client, tokens } = await signedIn()
    p.server.control.setFaults({ userinfo: { signed: true, sub: 'someone-else' } })
    await refused(client.userinfo(tokens), 'USERINFO_SUB_MISMATCH')
  })
})
