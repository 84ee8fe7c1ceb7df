/**
 * OpenID Foundation RP certification, Config profile discovery cases:
 * `rp-discovery-issuer-not-matching-config`, `rp-discovery-openid-configuration`,
 * `rp-discovery-jwks_uri-keys`, plus the HTTPS policy of discovered metadata.
 */
import { describe, expect, it } from 'vitest'
import { Client, discover } from '../../src/index.ts'
import { authorize, refused, session, useProvider } from './harness.ts'

const p = useProvider()

describe('rp-discovery-issuer-not-matching-config', () => {
  it('refuses a document that names another issuer, and calls nothing else', async () => {
    p.server.control.setFaults({ discoveryIssuer: 'https://op.example.test' })
    await refused(discover(p.server.issuer, { clientId: 'spa' }), 'DISCOVERY_ISSUER_MISMATCH')
    expect(p.hits('discovery')).toBe(1)
    expect(p.hits('jwks')).toBe(0)
  })

  it('refuses a document of another tenant on the same host', async () => {
    p.server.control.setFaults({ discoveryIssuer: `${p.server.issuer}/tenant-b` })
    await refused(discover(p.server.issuer, { clientId: 'spa' }), 'DISCOVERY_ISSUER_MISMATCH')
  })
})

describe('rp-discovery-openid-configuration / rp-discovery-jwks_uri-keys', () => {
  it('uses the discovered endpoints and the keys of the discovered jwks_uri', async () => {
    const client = await p.spa()
    expect(client.metadata.issuer).toBe(p.server.issuer)
    expect(client.metadata.jwks_uri).toBe(`${p.server.issuer}/jwks`)
    const s = session(client)
    await s.callback(await authorize(p, client))
    expect(p.hits('jwks')).toBe(1)
    expect(p.hits('token')).toBe(1)
  })
})

describe('metadata HTTPS policy', () => {
  it('refuses discovery of a plain-http issuer that is not loopback (no request sent)', async () => {
    await refused(discover('http://op.example.test', { clientId: 'spa' }), 'INSECURE_ENDPOINT')
  })

  it('refuses static metadata with a plain-http endpoint on a remote host', async () => {
    const client = await p.spa()
    expect(
      () =>
        new Client(
          { ...client.metadata, token_endpoint: 'http://op.example.test/token' },
          { clientId: 'spa' },
        ),
    ).toThrow(expect.objectContaining({ code: 'INSECURE_ENDPOINT' }))
  })
})
