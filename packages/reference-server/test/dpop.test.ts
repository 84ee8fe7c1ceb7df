import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { completeLogin, type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import { basic, claims, dpopKey, loginTokens, pkce, tokenRequest } from './helpers.ts'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterAll(() => {
  server.control.resetFaults()
  return server.close()
})

const m2m = { authorization: basic('m2m', 'm2m-secret') }

describe('DPoP at the token endpoint', () => {
  it('binds the access token (cnf.jkt, token_type DPoP) and the resource demands the proof', async () => {
    const key = await dpopKey()
    const res = await tokenRequest(
      server.issuer,
      { grant_type: 'client_credentials', scope: 'api:read' },
      { ...m2m, dpop: await key.proof('POST', `${server.issuer}/token`) },
    )
    expect(res.status).toBe(200)
    expect(res.body.token_type).toBe('DPoP')
    expect(claims(res.body.access_token).cnf).toEqual({ jkt: key.jkt })
    const at = res.body.access_token
    const api = `${server.issuer}/api/data`
    const ok = await fetch(api, {
      headers: {
        authorization: `DPoP ${at}`,
        dpop: await key.proof('GET', api, { accessToken: at }),
      },
    })
    expect(ok.status).toBe(200)
    expect((await ok.json()).token_type).toBe('DPoP')
    const asBearer = await fetch(api, { headers: { authorization: `Bearer ${at}` } })
    expect(asBearer.status).toBe(401)
    expect(asBearer.headers.get('www-authenticate')).toMatch(/DPoP .*error="invalid_token"/)
    const noAth = await fetch(api, {
      headers: { authorization: `DPoP ${at}`, dpop: await key.proof('GET', api) },
    })
    expect(noAth.status).toBe(401)
    expect(noAth.headers.get('www-authenticate')).toContain('invalid_dpop_proof')
    const otherKey = await dpopKey()
    const wrongKey = await fetch(api, {
      headers: {
        authorization: `DPoP ${at}`,
        dpop: await otherKey.proof('GET', api, { accessToken: at }),
      },
    })
    expect(wrongKey.status).toBe(401)
  })

  it('refuses bad proofs: htm, htu, stale iat, replayed jti, garbage', async () => {
    const key = await dpopKey()
    const token = `${server.issuer}/token`
    const send = (proof: string) =>
      tokenRequest(server.issuer, { grant_type: 'client_credentials' }, { ...m2m, dpop: proof })
    const jti = crypto.randomUUID()
    expect((await send(await key.proof('POST', token, { jti }))).status).toBe(200)
    for (const proof of [
      await key.proof('GET', token),
      await key.proof('POST', `${server.issuer}/other`),
      await key.proof('POST', token, { iat: Math.floor(Date.now() / 1000) - 600 }),
      await key.proof('POST', token, { jti }),
      'not.a.proof',
    ]) {
      const res = await send(proof)
      expect(res.status).toBe(400)
      expect(res.body.error).toBe('invalid_dpop_proof')
    }
  })

  it('nonce challenge: use_dpop_nonce (400 + DPoP-Nonce) at the token endpoint, 401 at the resource', async () => {
    server.control.setFaults({ dpop: { nonceEveryRequest: true } })
    try {
      const key = await dpopKey()
      const token = `${server.issuer}/token`
      const first = await tokenRequest(
        server.issuer,
        { grant_type: 'client_credentials' },
        { ...m2m, dpop: await key.proof('POST', token) },
      )
      expect(first.status).toBe(400)
      expect(first.body.error).toBe('use_dpop_nonce')
      const nonce = first.headers.get('dpop-nonce')!
      expect(nonce).toBeTruthy()
      const second = await tokenRequest(
        server.issuer,
        { grant_type: 'client_credentials' },
        { ...m2m, dpop: await key.proof('POST', token, { nonce }) },
      )
      expect(second.status).toBe(200)
      const at = second.body.access_token
      const next = second.headers.get('dpop-nonce')!
      expect(next).not.toBe(nonce)
      const api = `${server.issuer}/api/me`
      const stale = await fetch(api, {
        headers: {
          authorization: `DPoP ${at}`,
          dpop: await key.proof('GET', api, { accessToken: at, nonce }),
        },
      })
      expect(stale.status).toBe(401)
      expect(stale.headers.get('www-authenticate')).toContain('error="use_dpop_nonce"')
      const fresh = stale.headers.get('dpop-nonce')!
      const ok = await fetch(api, {
        headers: {
          authorization: `DPoP ${at}`,
          dpop: await key.proof('GET', api, { accessToken: at, nonce: fresh }),
        },
      })
      expect(ok.status).toBe(200)
    } finally {
      server.control.resetFaults()
    }
  })

  it('rejectEveryNonce fault: every proof is challenged with a new nonce, also the one just issued', async () => {
    const key = await dpopKey()
    const token = `${server.issuer}/token`
    const api = `${server.issuer}/api/me`
    const bound = await tokenRequest(
      server.issuer,
      { grant_type: 'client_credentials' },
      { ...m2m, dpop: await key.proof('POST', token) },
    )
    expect(bound.status).toBe(200)
    const at = bound.body.access_token
    server.control.setFaults({ dpop: { rejectEveryNonce: true } })
    try {
      const seen: string[] = []
      let nonce: string | undefined
      for (let i = 0; i < 3; i++) {
        const res = await tokenRequest(
          server.issuer,
          { grant_type: 'client_credentials' },
          { ...m2m, dpop: await key.proof('POST', token, nonce ? { nonce } : {}) },
        )
        expect(res.status).toBe(400)
        expect(res.body.error).toBe('use_dpop_nonce')
        nonce = res.headers.get('dpop-nonce')!
        expect(nonce).toBeTruthy()
        expect(seen).not.toContain(nonce)
        seen.push(nonce)
      }
      const resource = await fetch(api, {
        headers: {
          authorization: `DPoP ${at}`,
          dpop: await key.proof('GET', api, { accessToken: at, nonce }),
        },
      })
      expect(resource.status).toBe(401)
      expect(resource.headers.get('www-authenticate')).toContain('error="use_dpop_nonce"')
      expect(resource.headers.get('dpop-nonce')).toBeTruthy()
      expect(resource.headers.get('dpop-nonce')).not.toBe(nonce)
      // a bad proof is still invalid_dpop_proof, not a nonce challenge
      const wrongHtm = await tokenRequest(
        server.issuer,
        { grant_type: 'client_credentials' },
        { ...m2m, dpop: await key.proof('GET', token, { nonce }) },
      )
      expect(wrongHtm.body.error).toBe('invalid_dpop_proof')
    } finally {
      server.control.resetFaults()
    }
    const after = await tokenRequest(
      server.issuer,
      { grant_type: 'client_credentials' },
      { ...m2m, dpop: await key.proof('POST', token) },
    )
    expect(after.status).toBe(200)
  })

  it('binds refresh tokens of public clients to the DPoP key', async () => {
    const key = await dpopKey()
    const token = `${server.issuer}/token`
    const first = await loginTokens(
      server.issuer,
      completeLogin,
      {},
      { dpop: await key.proof('POST', token) },
    )
    expect(first.body.token_type).toBe('DPoP')
    const noProof = await tokenRequest(server.issuer, {
      grant_type: 'refresh_token',
      client_id: 'spa',
      refresh_token: first.body.refresh_token,
    })
    expect(noProof.body.error).toBe('invalid_grant')
    const first2 = await loginTokens(
      server.issuer,
      completeLogin,
      {},
      { dpop: await key.proof('POST', token) },
    )
    const ok = await tokenRequest(
      server.issuer,
      { grant_type: 'refresh_token', client_id: 'spa', refresh_token: first2.body.refresh_token },
      { dpop: await key.proof('POST', token) },
    )
    expect(ok.status).toBe(200)
    expect(claims(ok.body.access_token).cnf.jkt).toBe(key.jkt)
  })

  it('userinfo accepts DPoP-bound tokens with a proof', async () => {
    const key = await dpopKey()
    const res = await loginTokens(
      server.issuer,
      completeLogin,
      {},
      { dpop: await key.proof('POST', `${server.issuer}/token`) },
    )
    const at = res.body.access_token
    const url = `${server.issuer}/userinfo`
    const ok = await fetch(url, {
      headers: {
        authorization: `DPoP ${at}`,
        dpop: await key.proof('GET', url, { accessToken: at }),
      },
    })
    expect(ok.status).toBe(200)
    const post = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `DPoP ${at}`,
        dpop: await key.proof('POST', url, { accessToken: at }),
      },
    })
    expect(post.status).toBe(200)
  })

  it('dpop_jkt in the authorization request binds the code to that key', async () => {
    const key = await dpopKey()
    const other = await dpopKey()
    const res = await loginTokens(
      server.issuer,
      completeLogin,
      { dpop_jkt: key.jkt },
      { dpop: await other.proof('POST', `${server.issuer}/token`) },
    )
    expect(res.body.error).toBe('invalid_grant')
  })
})

describe('DPoP at the PAR endpoint (RFC 9449 §10.1)', () => {
  async function push(dpopJkt: string | undefined, proof: string) {
    const p = pkce()
    const form: Record<string, string> = {
      client_id: 'spa',
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:4001/callback.html',
      scope: 'openid',
      code_challenge: await p.challenge(),
      code_challenge_method: 'S256',
      ...(dpopJkt && { dpop_jkt: dpopJkt }),
    }
    const res = await fetch(`${server.issuer}/par`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
      body: new URLSearchParams(form),
    })
    return { status: res.status, body: await res.json() }
  }

  it('refuses a pushed request whose dpop_jkt is not the key of its DPoP proof', async () => {
    const key = await dpopKey()
    const other = await dpopKey()
    const res = await push(key.jkt, await other.proof('POST', `${server.issuer}/par`))
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
  })

  it('takes dpop_jkt together with a proof of the same key', async () => {
    const key = await dpopKey()
    const res = await push(key.jkt, await key.proof('POST', `${server.issuer}/par`))
    expect(res.status).toBe(201)
  })
})
