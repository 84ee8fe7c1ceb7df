/**
 * The protocol state every operation needs: provider metadata, resolved options, client
 * authentication, the JWKS cache and the DPoP key. Operations are standalone functions that
 * take a {@link ClientCore}, so a bundle carries only the grants it imports.
 *
 * @module
 */
import { importJWK } from 'jose'
import * as oauth from 'oauth4webapi'
import { InvalidArgumentError, OpenRpError, ValidationError } from './errors.ts'
import { assertSecureUrl } from './internal/http.ts'
import type { IdTokenExpectations } from './id-token-claims.ts'
import { validateIdToken } from './id-token.ts'
import { createJwksCache, type JwksCache } from './jwks.ts'
import { type ClientOptions, type ResolvedOptions, resolveOptions } from './options.ts'
import type { IdTokenClaims } from './token-set.ts'

/** Provider metadata (RFC 8414 / OpenID Connect Discovery names). */
export type ServerMetadata = oauth.AuthorizationServer

/** Shared protocol state of one client. Create with {@link createClientCore}. */
export interface ClientCore {
  readonly metadata: ServerMetadata
  readonly options: ResolvedOptions
  /** oauth4webapi's client metadata. */
  readonly client: oauth.Client
  readonly clientAuth: oauth.ClientAuth
  readonly jwks: JwksCache
  /**
   * Validates ID tokens of the front channel (hybrid and implicit responses) with jose. Set by
   * {@link createClientCore}; a public core has it only through {@link withHybridAndImplicit}.
   */
  readonly frontChannelIdTokens?: FrontChannelIdTokenValidator
  /** The DPoP handle when `dpop` is on (the key pair is generated on first use). */
  dpop(): Promise<oauth.DPoPHandle | undefined>
}

/** How a core validates an ID token of the front channel ({@link validateIdToken}). */
export type FrontChannelIdTokenValidator = (
  core: ClientCore,
  idToken: string,
  expected: IdTokenExpectations,
) => Promise<IdTokenClaims>

/** The core's front-channel ID-token validator; `UNSUPPORTED` when it has none. */
export function frontChannelValidator(core: ClientCore): FrontChannelIdTokenValidator {
  if (core.frontChannelIdTokens) return core.frontChannelIdTokens
  throw new OpenRpError(
    'UNSUPPORTED',
    'Response types with a front-channel ID token need withHybridAndImplicit(core)',
  )
}

const ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'userinfo_endpoint',
  'jwks_uri',
  'pushed_authorization_request_endpoint',
  'device_authorization_endpoint',
  'introspection_endpoint',
  'revocation_endpoint',
  'end_session_endpoint',
] as const

/**
 * Checks metadata and options and builds the core.
 *
 * @example
 * ```ts
 * const core = createClientCore(metadata, { clientId: 'spa', redirectUri })
 * const { url, transaction } = await createAuthorizationRequest(core)
 * ```
 */
export function createClientCore(metadata: ServerMetadata, options: ClientOptions): ClientCore {
  const resolved = resolveOptions(options)
  checkMetadata(metadata, resolved)
  return withHybridAndImplicit(
    buildCore(metadata, resolved, createClientAuth(resolved), (client) =>
      createDpopHandle(client, resolved.dpop),
    ),
  )
}

/**
 * The core with front-channel ID-token validation (jose), for the response types that carry an
 * ID token in the redirect: `code id_token`, `code id_token token`, `id_token`, `id_token token`.
 * {@link createClientCore} includes it; a {@link createPublicClientCore} core without it refuses
 * those response types (`UNSUPPORTED`), so a code-flow bundle carries no jose.
 *
 * @example
 * ```ts
 * const core = withHybridAndImplicit(createPublicClientCore(metadata, { clientId: 'legacy-spa' }))
 * const { url, transaction } = await createAuthorizationRequest(core, { responseType: 'code id_token' })
 * ```
 */
export function withHybridAndImplicit(core: ClientCore): ClientCore {
  return { ...core, frontChannelIdTokens: validateIdToken }
}

/**
 * {@link createClientCore} for a public client (no secret, no key: `clientAuth` `none`), such as
 * a single-page or native app. A bundle that uses only this carries none of the client
 * authentication methods, no DPoP code unless it also uses {@link withDpop}, and no jose unless
 * it also uses {@link withHybridAndImplicit} (response types with a front-channel ID token). Throws
 * `INVALID_ARGUMENT` when the options name a secret, a key or `dpop`.
 *
 * @example
 * ```ts
 * const core = createPublicClientCore(metadata, { clientId: 'spa', redirectUri })
 * const bound = withDpop(core, keyPair) // DPoP (RFC 9449), if wanted
 * ```
 */
export function createPublicClientCore(
  metadata: ServerMetadata,
  options: ClientOptions,
): ClientCore {
  const resolved = resolveOptions(options)
  if (resolved.clientAuth !== 'none')
    throw new InvalidArgumentError(
      'createPublicClientCore() is for public clients (clientAuth "none"): use createClientCore()',
    )
  if (resolved.dpop !== false)
    throw new InvalidArgumentError(
      'createPublicClientCore() takes no dpop option: use withDpop(core, keyPair)',
    )
  checkMetadata(metadata, resolved)
  return buildCore(metadata, resolved, oauth.None(), async () => undefined)
}

function buildCore(
  metadata: ServerMetadata,
  resolved: ResolvedOptions,
  clientAuth: oauth.ClientAuth,
  createDpop: (client: oauth.Client) => Promise<oauth.DPoPHandle | undefined>,
): ClientCore {
  const client: oauth.Client = {
    client_id: resolved.clientId,
    [oauth.clockTolerance]: resolved.clockToleranceSec,
  }
  let dpopHandle: Promise<oauth.DPoPHandle | undefined> | undefined
  const core: ClientCore = {
    metadata,
    options: resolved,
    client,
    clientAuth,
    jwks: createJwksCache(() => core),
    dpop() {
      dpopHandle ??= createDpop(client)
      return dpopHandle
    },
  }
  return core
}

function checkMetadata(metadata: ServerMetadata, options: ResolvedOptions): void {
  if (typeof metadata !== 'object' || metadata === null)
    throw new InvalidArgumentError('server metadata must be an object')
  if (typeof metadata.issuer !== 'string')
    throw new ValidationError('METADATA_INVALID', 'server metadata has no "issuer" string')
  for (const name of ['issuer', ...ENDPOINTS] as const) {
    const value = metadata[name]
    if (value === undefined) continue
    let url: URL
    try {
      if (typeof value !== 'string') throw new TypeError('not a string')
      url = new URL(value)
    } catch {
      throw new ValidationError('METADATA_INVALID', `server metadata "${name}" is not a URL`)
    }
    assertSecureUrl(url, options)
  }
}

function createClientAuth(options: ResolvedOptions): oauth.ClientAuth {
  switch (options.clientAuth) {
    case 'none':
      return oauth.None()
    case 'client_secret_basic':
      return oauth.ClientSecretBasic(options.clientSecret as string)
    case 'client_secret_post':
      return oauth.ClientSecretPost(options.clientSecret as string)
    case 'client_secret_jwt':
      return oauth.ClientSecretJwt(options.clientSecret as string)
    case 'private_key_jwt': {
      let auth: Promise<oauth.ClientAuth> | undefined
      return async (as, client, body, headers) => {
        auth ??= privateKeyAuth(options.privateKey)
        return (await auth)(as, client, body, headers)
      }
    }
  }
}

async function privateKeyAuth(privateKey: ClientOptions['privateKey']): Promise<oauth.ClientAuth> {
  if (typeof CryptoKey !== 'undefined' && privateKey instanceof CryptoKey)
    return oauth.PrivateKeyJwt(privateKey)
  if (typeof privateKey === 'object' && privateKey !== null && 'key' in privateKey)
    return oauth.PrivateKeyJwt(privateKey as { key: CryptoKey; kid?: string })
  const jwk = privateKey as JsonWebKey & { kid?: string; alg?: string }
  if (typeof jwk?.kty !== 'string' || jwk.d === undefined)
    throw new InvalidArgumentError(
      'options.privateKey must be a private CryptoKey or a private JWK',
    )
  const alg = jwk.alg ?? defaultAlg(jwk)
  try {
    const key = (await importJWK(jwk, alg)) as CryptoKey
    return oauth.PrivateKeyJwt(jwk.kid !== undefined ? { key, kid: jwk.kid } : key)
  } catch {
    throw new InvalidArgumentError('options.privateKey could not be imported')
  }
}

function defaultAlg(jwk: JsonWebKey): string {
  if (jwk.kty === 'EC')
    return jwk.crv === 'P-384' ? 'ES384' : jwk.crv === 'P-521' ? 'ES512' : 'ES256'
  if (jwk.kty === 'OKP') return 'EdDSA'
  return 'RS256'
}

async function createDpopHandle(
  client: oauth.Client,
  dpop: boolean | CryptoKeyPair,
): Promise<oauth.DPoPHandle | undefined> {
  if (dpop === false) return undefined
  const keyPair =
    dpop === true
      ? ((await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
          'sign',
          'verify',
        ])) as CryptoKeyPair)
      : dpop
  try {
    return oauth.DPoP(client, keyPair)
  } catch {
    throw new InvalidArgumentError(
      'options.dpop must be true or a CryptoKeyPair usable for signing',
    )
  }
}
