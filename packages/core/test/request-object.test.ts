/**
 * JWT-secured authorization requests (JAR, RFC 9101) against the real reference server: the
 * `requestObject` option signs every authorization request with the client's private key, by
 * redirect (`client_id` + `request`) and by PAR (the pushed body carries `request`). The server's
 * `jar-only` client refuses anything unsigned, so a login through it shows the object was sent
 * and verified. Then the refusals: the provider's algs, a provider that requires signed objects,
 * options without a key, a key the provider does not know.
 */
import {
  type ClientConfig,
  CompleteLoginError,
  completeLogin,
  DEMO_CLIENTS,
  DEMO_PRIVATE_KEY_JWK,
  type ReferenceServer,
  startReferenceServer,
} from '@openrp/reference-server'
import { fixedKeyPairs } from '@openrp/testkit'
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Client,
  createAuthorizationRequest,
  createClientCore,
  createPublicClientCore,
  discoverMetadata,
  isOpenRpError,
  OAuthError,
  TokenSet,
  ValidationError,
} from '../src/index.ts'
import { bundleForBrowser as bundle } from './helpers/bundle.ts'
import { useReferenceServer, WEB_REDIRECT } from './helpers/reference.ts'

const pkjwt = DEMO_CLIENTS.find((c) => c.client_id === 'pkjwt')!
/** pkjwt's registration (its JWKS holds the public half of DEMO_PRIVATE_KEY_JWK), signed objects only. */
const jarOnly: ClientConfig = {
  ...pkjwt,
  client_id: 'jar-only',
  require_signed_request_object: true,
}

const web = DEMO_CLIENTS.find((c) => c.client_id === 'web')!
/** The client_secret_basic `web` client with pkjwt's JWKS, signed objects only. */
const webJar: ClientConfig = {
  ...web,
  client_id: 'web-jar',
  jwks: pkjwt.jwks!,
  require_signed_request_object: true,
}

const h = useReferenceServer({ clients: [...DEMO_CLIENTS, jarOnly, webJar] })

const jarClient = (extra: Partial<Parameters<typeof h.client>[0]> = {}) =>
  h.client({
    clientId: 'jar-only',
    privateKey: DEMO_PRIVATE_KEY_JWK,
    redirectUri: WEB_REDIRECT,
    scope: 'openid profile',
    requestObject: true,
    ...extra,
  })

/** Whatever openrp threw (or undefined). */
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  )

describe('signed request objects (JAR) against the reference server', () => {
  it('logs in by redirect: the URL carries only client_id and request; the response is validated as usual', async () => {
    const client = await jarClient()
    const { url, transaction } = await client.createAuthorizationRequest({
      prompt: 'login',
      maxAge: 300,
    })
    expect(url.origin + url.pathname).toBe(client.metadata.authorization_endpoint)
    // RFC 9101 §5: no loose copies of the parameters the object carries.
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request'])
    expect(url.searchParams.get('client_id')).toBe('jar-only')

    const jwt = url.searchParams.get('request')!
    expect(decodeProtectedHeader(jwt)).toMatchObject({
      alg: 'ES256',
      kid: DEMO_PRIVATE_KEY_JWK.kid,
      typ: 'oauth-authz-req+jwt',
    })
    const claims = decodeJwt(jwt)
    expect(claims).toMatchObject({
      iss: 'jar-only',
      aud: h.server.issuer,
      client_id: 'jar-only',
      response_type: 'code',
      redirect_uri: WEB_REDIRECT,
      scope: 'openid profile',
      state: transaction.state,
      nonce: transaction.nonce,
      code_challenge_method: 'S256',
      prompt: 'login',
      max_age: 300,
    })
    expect(claims.code_challenge).toEqual(expect.any(String))
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(60)
    // The transaction is the one a plain request has.
    expect(Object.keys(transaction).sort()).toEqual(
      [
        'codeVerifier',
        'createdAt',
        'idTokenRequired',
        'issuer',
        'maxAge',
        'nonce',
        'redirectUri',
        'responseType',
        'scope',
        'state',
      ].sort(),
    )

    const { params } = await completeLogin(url)
    expect(params.get('state')).toBe(transaction.state)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens).toBeInstanceOf(TokenSet)
    expect(tokens.claims()).toMatchObject({ aud: 'jar-only', nonce: transaction.nonce })
    expect(tokens.claims()?.auth_time).toEqual(expect.any(Number))
  })

  it('logs in through PAR: the pushed request carries the object, the URL only client_id and request_uri', async () => {
    const pushedBodies: string[] = []
    const client = await jarClient({
      par: true,
      // Observes what reaches the real server; does not change it.
      fetch: (input, init) => {
        if (String(input instanceof Request ? input.url : input).endsWith('/par'))
          pushedBodies.push(String(init?.body))
        return fetch(input, init)
      },
    })
    const { url, transaction } = await client.createAuthorizationRequest()
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])

    expect(pushedBodies).toHaveLength(1)
    const pushed = new URLSearchParams(pushedBodies[0])
    // client_id, the object, and the private_key_jwt client authentication: nothing else.
    expect([...pushed.keys()].sort()).toEqual(
      ['client_assertion', 'client_assertion_type', 'client_id', 'request'].sort(),
    )
    expect(decodeJwt(pushed.get('request')!)).toMatchObject({
      iss: 'jar-only',
      aud: h.server.issuer,
      state: transaction.state,
    })
    expect(h.server.control.requests({ endpoint: 'par' })).toMatchObject([{ status: 201 }])

    const { params } = await completeLogin(url)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens.claims()?.nonce).toBe(transaction.nonce)
  })

  it('signs with a CryptoKey and its kid as well as with a JWK', async () => {
    const key = (await importJWK(DEMO_PRIVATE_KEY_JWK, 'ES256')) as CryptoKey
    const client = await jarClient({ privateKey: { key, kid: DEMO_PRIVATE_KEY_JWK.kid } })
    const { url, transaction } = await client.createAuthorizationRequest()
    const { params } = await completeLogin(url)
    await expect(client.handleAuthorizationResponse(params, transaction)).resolves.toBeInstanceOf(
      TokenSet,
    )
  })

  it('signs for a client that authenticates with a secret (client_secret_basic), by redirect and PAR', async () => {
    for (const par of [false, true]) {
      const client = await h.client({
        clientId: 'web-jar',
        clientSecret: 'web-secret',
        privateKey: DEMO_PRIVATE_KEY_JWK,
        redirectUri: WEB_REDIRECT,
        requestObject: true,
        par,
      })
      expect(client.core.options.clientAuth).toBe('client_secret_basic')
      const { url, transaction } = await client.createAuthorizationRequest()
      expect(url.searchParams.has(par ? 'request_uri' : 'request')).toBe(true)
      const { params } = await completeLogin(url)
      const tokens = await client.handleAuthorizationResponse(params, transaction)
      expect(tokens.claims()?.aud).toBe('web-jar')
    }
  })

  it('the provider refuses the object of an unregistered key (invalid_request_object)', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const stranger = { ...(await exportJWK(privateKey)), kid: DEMO_PRIVATE_KEY_JWK.kid }
    const client = await jarClient({ privateKey: stranger })
    const { url } = await client.createAuthorizationRequest()
    const error = await failure(completeLogin(url))
    expect(error).toBeInstanceOf(CompleteLoginError)
    expect((error as CompleteLoginError).code).toBe('invalid_request_object')

    // Through PAR the provider's answer is an OAuthError: `web` authenticates with its secret,
    // and has registered no key that could verify the object.
    const pushing = await h.client({
      clientId: 'web',
      clientSecret: 'web-secret',
      privateKey: DEMO_PRIVATE_KEY_JWK,
      redirectUri: WEB_REDIRECT,
      requestObject: true,
      par: true,
    })
    const pushError = await failure(pushing.createAuthorizationRequest())
    expect(pushError).toBeInstanceOf(OAuthError)
    expect(pushError).toMatchObject({
      code: 'OAUTH_ERROR',
      error: 'invalid_request_object',
      status: 400,
    })
  })

  it('without the option, the jar-only client is refused (what the option changes)', async () => {
    const client = await jarClient({ requestObject: false })
    const { url } = await client.createAuthorizationRequest()
    expect(url.searchParams.get('request')).toBeNull()
    expect(url.searchParams.get('state')).toEqual(expect.any(String))
    const error = await failure(completeLogin(url))
    expect((error as CompleteLoginError).code).toBe('invalid_request')
  })
})

describe('request objects the provider does not take', () => {
  it('refuses a key whose alg is not in request_object_signing_alg_values_supported, before sending anything', async () => {
    const metadata = await discoverMetadata(h.server.issuer)
    expect(metadata.request_object_signing_alg_values_supported).toContain('ES256')
    for (const par of [false, true]) {
      const client = new Client(
        { ...metadata, request_object_signing_alg_values_supported: ['RS256', 'PS256'] },
        {
          clientId: 'jar-only',
          privateKey: DEMO_PRIVATE_KEY_JWK,
          redirectUri: WEB_REDIRECT,
          requestObject: true,
          par,
        },
      )
      const error = await failure(client.createAuthorizationRequest())
      expect(error).toBeInstanceOf(ValidationError)
      expect(isOpenRpError(error, 'REQUEST_OBJECT_ALG_NOT_SUPPORTED')).toBe(true)
      expect((error as Error).message).toContain('ES256')
    }
    expect(h.server.control.requests({ endpoint: 'par' })).toHaveLength(0)
  })

  it('refuses a key that cannot sign with INVALID_ARGUMENT', async () => {
    const { publicKey } = await generateKeyPair('ES256')
    const client = await jarClient({ privateKey: publicKey, clientAuth: 'none' })
    await expect(client.createAuthorizationRequest()).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })
})

describe('a provider that requires signed request objects', () => {
  let strict: ReferenceServer
  beforeAll(async () => {
    strict = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      clients: [pkjwt],
      requireSignedRequestObject: true,
    })
  })
  afterAll(() => strict.close())

  it('fails createAuthorizationRequest with REQUEST_OBJECT_REQUIRED when the option is off; nothing is sent', async () => {
    const metadata = await discoverMetadata(strict.issuer)
    expect(metadata.require_signed_request_object).toBe(true)
    for (const par of [false, true]) {
      const client = new Client(metadata, {
        clientId: 'pkjwt',
        privateKey: DEMO_PRIVATE_KEY_JWK,
        redirectUri: WEB_REDIRECT,
        par,
      })
      const error = await failure(client.createAuthorizationRequest())
      expect(error).toBeInstanceOf(ValidationError)
      expect(isOpenRpError(error, 'REQUEST_OBJECT_REQUIRED')).toBe(true)
    }
    expect(strict.control.requests({ endpoint: 'par' })).toHaveLength(0)
  })

  it('logs in with the option on', async () => {
    const metadata = await discoverMetadata(strict.issuer)
    const client = new Client(metadata, {
      clientId: 'pkjwt',
      privateKey: DEMO_PRIVATE_KEY_JWK,
      redirectUri: WEB_REDIRECT,
      requestObject: true,
    })
    const { url, transaction } = await client.createAuthorizationRequest()
    const { params } = await completeLogin(url)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens.claims()?.aud).toBe('pkjwt')
  })
})

describe('requestObject option checks', () => {
  const metadata = {
    issuer: 'https://op.example.test',
    authorization_endpoint: 'https://op.example.test/authorize',
    token_endpoint: 'https://op.example.test/token',
  }

  it('needs a privateKey: INVALID_ARGUMENT at construction', () => {
    for (const options of [
      { clientId: 'web', requestObject: true },
      { clientId: 'web', clientSecret: 'web-secret', requestObject: true },
    ]) {
      expect(() => new Client(metadata, options)).toThrowError(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
      expect(() => createClientCore(metadata, options)).toThrowError(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
    }
  })

  it('is refused by createPublicClientCore (public cores carry no JAR code)', () => {
    expect(() =>
      createPublicClientCore(metadata, {
        clientId: 'spa',
        clientAuth: 'none',
        privateKey: DEMO_PRIVATE_KEY_JWK,
        requestObject: true,
      }),
    ).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('a public core refuses a provider that requires signed request objects', async () => {
    const core = createPublicClientCore(
      { ...metadata, require_signed_request_object: true },
      { clientId: 'spa', redirectUri: 'https://app.example.test/' },
    )
    await expect(createAuthorizationRequest(core)).rejects.toMatchObject({
      code: 'REQUEST_OBJECT_REQUIRED',
    })
  })
})

describe('tree shaking', () => {
  it('leaves the request-object code out of a public-client bundle', async () => {
    const entry = (factory: string) => `
import { ${factory}, createAuthorizationRequest, handleAuthorizationResponse } from './src/index.ts'
export { ${factory}, createAuthorizationRequest, handleAuthorizationResponse }
`
    const marker = 'oauth-authz-req+jwt' // the typ oauth4webapi's issueRequestObject sets
    expect(await bundle(entry('createPublicClientCore'))).not.toContain(marker)
    expect(await bundle(entry('createPublicClientCore'))).not.toContain('REQUEST_OBJECT_ALG')
    // The same bundle with createClientCore carries it: the check above can fail.
    expect(await bundle(entry('createClientCore'))).toContain(marker)
  })
})
