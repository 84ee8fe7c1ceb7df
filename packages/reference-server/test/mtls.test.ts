/** Mutual TLS (RFC 8705): the HTTPS listener, mTLS client authentication, bound tokens. */
import { X509Certificate } from 'node:crypto'
import { request } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ClientConfig,
  certificateThumbprint,
  createSelfSignedCertificate,
  type ReferenceServer,
  type SelfSignedCertificate,
  startReferenceServer,
} from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import { completeLogin } from '../src/index.ts'
import { authorizeUrl, claims, dpopKey, type Json, tokenRequest } from './helpers.ts'

const daemonCert = createSelfSignedCertificate({ commonName: 'daemon' })
const sanCert = createSelfSignedCertificate({ commonName: 'other', dnsNames: ['svc.example.test'] })
const selfSigned = createSelfSignedCertificate({ commonName: 'self' })
const keyOnly = createSelfSignedCertificate({ commonName: 'key-only' })
const stranger = createSelfSignedCertificate({ commonName: 'daemon' }) // same DN, other key

const publicJwk = (cert: SelfSignedCertificate) =>
  new X509Certificate(cert.cert).publicKey.export({ format: 'jwk' }) as Record<string, unknown>
const derBase64 = (cert: SelfSignedCertificate) =>
  new X509Certificate(cert.cert).raw.toString('base64')

const CLIENTS: ClientConfig[] = [
  {
    client_id: 'daemon',
    token_endpoint_auth_method: 'tls_client_auth',
    tls_client_auth_subject_dn: 'cn=daemon',
    tls_client_certificate_bound_access_tokens: true,
    grant_types: ['client_credentials', 'password', 'refresh_token'],
    scope: 'openid profile offline_access api:read',
  },
  {
    client_id: 'san',
    token_endpoint_auth_method: 'tls_client_auth',
    tls_client_auth_san_dns: 'svc.example.test',
    grant_types: ['client_credentials'],
    scope: 'api:read',
  },
  {
    client_id: 'self',
    token_endpoint_auth_method: 'self_signed_tls_client_auth',
    jwks: {
      keys: [
        { ...publicJwk(selfSigned), x5c: [derBase64(selfSigned)] },
        // its public key only, without the certificate (no x5c): registers no certificate
        publicJwk(keyOnly),
      ],
    },
    tls_client_certificate_bound_access_tokens: true,
    grant_types: ['client_credentials'],
    scope: 'api:read',
  },
  {
    client_id: 'native',
    token_endpoint_auth_method: 'none',
    tls_client_certificate_bound_access_tokens: true,
    grant_types: ['password', 'refresh_token'],
    scope: 'openid offline_access',
  },
  {
    client_id: 'bound-browser',
    token_endpoint_auth_method: 'none',
    tls_client_certificate_bound_access_tokens: true,
    grant_types: ['authorization_code', 'implicit'],
    response_types: ['code', 'code id_token', 'code token', 'id_token token'],
    redirect_uris: ['http://127.0.0.1:4001/callback.html'],
    scope: 'openid',
  },
]

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    clients: CLIENTS,
    // tls_client_auth (RFC 8705 §2.1): the self-signed certificates are their own trust anchors.
    mtlsCa: [daemonCert.cert, sanCert.cert],
  })
})
afterAll(() => server.close())

interface Answer {
  status: number
  body: Json
  headers: Record<string, string | string[] | undefined>
}

/** A request to the mutual-TLS listener, with `cert` as client certificate (or none). */
function mtls(
  path: string,
  options: {
    cert?: SelfSignedCertificate
    form?: Record<string, string>
    token?: string
    method?: string
    dpop?: string
  } = {},
): Promise<Answer> {
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.mtlsUrl}${path}`,
      {
        method: options.method ?? (body ? 'POST' : 'GET'),
        ca: server.mtlsCertificate,
        ...(options.cert && { cert: options.cert.cert, key: options.cert.key }),
        headers: {
          ...(body && { 'content-type': 'application/x-www-form-urlencoded' }),
          ...(options.token && { authorization: `Bearer ${options.token}` }),
          ...(options.dpop && { dpop: options.dpop }),
        },
        agent: false,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () => {
          let json: Json = {}
          try {
            json = text ? JSON.parse(text) : {}
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: json, headers: res.headers })
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const cc = (clientId: string) => ({ grant_type: 'client_credentials', client_id: clientId })

describe('mutual TLS (RFC 8705)', () => {
  it('discovery publishes the aliases on the HTTPS listener, bound tokens and both methods', async () => {
    const meta = (await (
      await fetch(`${server.issuer}/.well-known/openid-configuration`)
    ).json()) as Json
    expect(server.mtlsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(meta.mtls_endpoint_aliases).toEqual({
      token_endpoint: `${server.mtlsUrl}/token`,
      revocation_endpoint: `${server.mtlsUrl}/revoke`,
      introspection_endpoint: `${server.mtlsUrl}/introspect`,
      userinfo_endpoint: `${server.mtlsUrl}/userinfo`,
      pushed_authorization_request_endpoint: `${server.mtlsUrl}/par`,
      device_authorization_endpoint: `${server.mtlsUrl}/device_authorization`,
    })
    expect(meta.tls_client_certificate_bound_access_tokens).toBe(true)
    expect(meta.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth']),
    )
    // The normal endpoints stay where they were.
    expect(meta.token_endpoint).toBe(`${server.issuer}/token`)
  })

  it('the HTTPS listener serves only the aliases and the demo API', async () => {
    expect((await mtls('/.well-known/openid-configuration')).status).toBe(404)
    expect((await mtls('/authorize?client_id=daemon')).status).toBe(404)
    expect((await mtls('/jwks')).status).toBe(404)
  })

  it('tls_client_auth: the registered subject DN authenticates; the token is bound to the certificate', async () => {
    const res = await mtls('/token', { cert: daemonCert, form: cc('daemon') })
    expect(res.status).toBe(200)
    expect(res.body.token_type).toBe('Bearer')
    expect(claims(res.body.access_token).cnf).toEqual({ 'x5t#S256': daemonCert.thumbprint })
    expect(daemonCert.thumbprint).toBe(certificateThumbprint(new X509Certificate(daemonCert.cert)))
    const introspected = await mtls('/introspect', {
      cert: daemonCert,
      form: { client_id: 'daemon', token: res.body.access_token },
    })
    expect(introspected.body).toMatchObject({
      active: true,
      cnf: { 'x5t#S256': daemonCert.thumbprint },
    })
    const log = server.control.requests({ endpoint: 'token' }).at(-1)
    expect(log).toMatchObject({ status: 200, clientId: 'daemon', mtls: true })
  })

  it('tls_client_auth: another subject DN, no certificate, or the plain-http endpoint is invalid_client', async () => {
    const otherDn = await mtls('/token', { cert: selfSigned, form: cc('daemon') })
    expect(otherDn.status).toBe(401)
    expect(otherDn.body.error).toBe('invalid_client')
    const none = await mtls('/token', { form: cc('daemon') })
    expect(none.status).toBe(401)
    expect(none.body.error).toBe('invalid_client')
    const plain = await tokenRequest(server.issuer, cc('daemon'))
    expect(plain.status).toBe(401)
    expect(plain.body.error).toBe('invalid_client')
    // A client secret is no way around it.
    const secret = await mtls('/token', {
      cert: daemonCert,
      form: { ...cc('daemon'), client_secret: 'x' },
    })
    expect(secret.body.error).toBe('invalid_client')
  })

  it('tls_client_auth by SAN dNSName', async () => {
    const ok = await mtls('/token', { cert: sanCert, form: cc('san') })
    expect(ok.status).toBe(200)
    // not bound: this client did not register tls_client_certificate_bound_access_tokens
    expect(claims(ok.body.access_token).cnf).toBeUndefined()
    const wrong = await mtls('/token', { cert: daemonCert, form: cc('san') })
    expect(wrong.body.error).toBe('invalid_client')
  })

  it('self_signed_tls_client_auth: a certificate of the registered jwks (x5c), not another', async () => {
    const byX5c = await mtls('/token', { cert: selfSigned, form: cc('self') })
    expect(byX5c.status).toBe(200)
    expect(claims(byX5c.body.access_token).cnf).toEqual({ 'x5t#S256': selfSigned.thumbprint })
    const notInJwks = await mtls('/token', { cert: daemonCert, form: cc('self') })
    expect(notInJwks.status).toBe(401)
    expect(notInJwks.body.error).toBe('invalid_client')
  })

  it('self_signed_tls_client_auth: a key registered without its certificate (no x5c) authenticates nothing', async () => {
    // RFC 8705 §2.2.2: the certificate is the JWK's x5c; the key members are "not utilized".
    // node-oidc-provider refuses it too (interop mtls test).
    const byKey = await mtls('/token', { cert: keyOnly, form: cc('self') })
    expect(byKey.status).toBe(401)
    expect(byKey.body.error).toBe('invalid_client')
  })

  it('a bound token replayed with another certificate, or without one, is invalid_token', async () => {
    const tokens = await mtls('/token', {
      cert: daemonCert,
      form: {
        grant_type: 'password',
        client_id: 'daemon',
        username: 'alice',
        password: 'wonderland',
        scope: 'openid profile',
      },
    })
    expect(tokens.status).toBe(200)
    const token = tokens.body.access_token
    const ok = await mtls('/userinfo', { cert: daemonCert, token })
    expect(ok.status).toBe(200)
    expect(ok.body.sub).toBeTruthy()
    // Same subject DN, other key: a different certificate.
    const replay = await mtls('/userinfo', { cert: stranger, token })
    expect(replay.status).toBe(401)
    expect(replay.headers['www-authenticate']).toContain('error="invalid_token"')
    const noCert = await mtls('/userinfo', { token })
    expect(noCert.status).toBe(401)
    const plain = await fetch(`${server.issuer}/userinfo`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(plain.status).toBe(401)
    expect(plain.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('the demo API checks the binding too', async () => {
    const { body } = await mtls('/token', { cert: selfSigned, form: cc('self') })
    const token = body.access_token
    expect((await mtls('/api/me', { cert: selfSigned, token })).status).toBe(200)
    expect((await mtls('/api/me', { cert: keyOnly, token })).status).toBe(401)
    const plain = await fetch(`${server.issuer}/api/me`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(plain.status).toBe(401)
  })

  it('a public client with bound tokens: needs a certificate; its refresh token is bound to it (§4)', async () => {
    const form = {
      grant_type: 'password',
      client_id: 'native',
      username: 'alice',
      password: 'wonderland',
      scope: 'openid offline_access',
    }
    const noCert = await tokenRequest(server.issuer, form)
    expect(noCert.status).toBe(400)
    expect(noCert.body.error).toBe('invalid_request')
    const tokens = await mtls('/token', { cert: sanCert, form })
    expect(tokens.status).toBe(200)
    expect(claims(tokens.body.access_token).cnf).toEqual({ 'x5t#S256': sanCert.thumbprint })
    const refresh = { grant_type: 'refresh_token', client_id: 'native' }
    const other = await mtls('/token', {
      cert: daemonCert,
      form: { ...refresh, refresh_token: tokens.body.refresh_token },
    })
    expect(other.body.error).toBe('invalid_grant')
    const same = await mtls('/token', {
      cert: sanCert,
      form: { ...refresh, refresh_token: tokens.body.refresh_token },
    })
    expect(same.status).toBe(200)
    expect(claims(same.body.access_token).cnf).toEqual({ 'x5t#S256': sanCert.thumbprint })
  })

  it('a client with bound tokens gets no access token at the authorization endpoint (code and code id_token still work)', async () => {
    const login = (responseType: string) =>
      authorizeUrl(server.issuer, {
        client_id: 'bound-browser',
        response_type: responseType,
        scope: 'openid',
        nonce: 'n-bound',
      }).then(({ url }) => completeLogin(url))
    for (const refused of ['code token', 'id_token token']) {
      const result = await login(refused)
      expect(result.params.get('error'), refused).toBe('unauthorized_client')
      expect(result.params.get('access_token'), refused).toBeNull()
    }
    for (const allowed of ['code', 'code id_token']) {
      const result = await login(allowed)
      expect(result.params.get('error'), allowed).toBeNull()
      expect(result.params.get('code'), allowed).toBeTruthy()
    }
  })
})

describe('DPoP at the mutual-TLS listener (RFC 9449 §4.3)', () => {
  it('htu is the URL the proof was sent to: the mTLS alias, not the plain endpoint', async () => {
    const key = await dpopKey()
    const wrongUrl = await mtls('/token', {
      cert: sanCert,
      form: cc('san'),
      dpop: await key.proof('POST', `${server.issuer}/token`),
    })
    expect(wrongUrl.status).toBe(400)
    expect(wrongUrl.body.error).toBe('invalid_dpop_proof')
    const ok = await mtls('/token', {
      cert: sanCert,
      form: cc('san'),
      dpop: await key.proof('POST', `${server.mtlsUrl}/token`),
    })
    expect(ok.status).toBe(200)
    expect(ok.body.token_type).toBe('DPoP')
    expect(claims(ok.body.access_token).cnf).toEqual({ jkt: key.jkt })
  })
})
