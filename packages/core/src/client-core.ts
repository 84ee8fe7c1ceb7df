/**
 * The protocol state every operation needs: provider metadata, resolved options, client
 * authentication, the JWKS cache and the DPoP key. Operations are standalone functions that
 * take a {@link ClientCore}, so a bundle carries only the grants it imports.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import { systemClock } from './clock.ts'
import { InvalidArgumentError, ValidationError } from './errors.ts'
import { assertSecureUrl } from './internal/http.ts'
import { lazySigningKey, type SigningKey } from './internal/private-key.ts'
import type { HandleAuthorizationResponseOptions } from './authorization-response.ts'
import { handleFrontChannelResponse } from './front-channel.ts'
import { idTokenAlgPolicy } from './id-token-claims.ts'
import { createJwksCache, type JwksCache } from './jwks.ts'
import {
  type ClientOptions,
  type ResolvedOptions,
  resolveOptions,
  resolvePublicClientOptions,
} from './options.ts'
import { type RequestObjectSigner, requestObjectSigner } from './request-object.ts'
import type { ServerMetadata } from './server-metadata.ts'
import type { TokenSet } from './token-set.ts'
import type { AuthTransaction } from './transaction.ts'

export type { ServerMetadata } from './server-metadata.ts'

/** Shared protocol state of one client. Create with {@link createClientCore}. */
export interface ClientCore {
  readonly metadata: ServerMetadata
  /**
   * @internal The metadata oauth4webapi's token endpoint processing is given: the provider's, with
   * `id_token_signing_alg_values_supported` narrowed to the algorithms openrp accepts
   * (`allowedIdTokenAlgs`: never `none` or HMAC), so oauth4webapi applies openrp's alg
   * policy through its documented inputs.
   */
  readonly server: oauth.AuthorizationServer
  readonly options: ResolvedOptions
  /** @internal oauth4webapi's client metadata. */
  readonly client: oauth.Client
  /** @internal oauth4webapi's client authentication. */
  readonly clientAuth: oauth.ClientAuth
  /** @internal The provider's key set, fetched on first use. */
  readonly jwks: JwksCache
  /**
   * @internal Finishes the authorization responses with a front-channel ID token (hybrid and
   * implicit), verified with jose. Set by {@link createClientCore}; a public core has it only
   * through {@link withHybridAndImplicit}.
   */
  readonly frontChannel?: FrontChannelHandler
  /**
   * @internal Signs authorization requests as request objects (JAR, RFC 9101). Set by
   * {@link createClientCore} when the `requestObject` option is on; a core without it sends
   * plain parameters (and refuses a provider that sets `require_signed_request_object`).
   */
  readonly requestObject?: RequestObjectSigner
  /** @internal The DPoP handle when `dpop` is on (the key pair is generated on first use). */
  dpop(): Promise<oauth.DPoPHandle | undefined>
}

/**
 * How a core finishes an authorization response whose type carries an ID token, after its
 * state, `iss` and error were checked ({@link handleFrontChannelResponse}).
 */
export type FrontChannelHandler = (
  core: ClientCore,
  params: URLSearchParams,
  transaction: AuthTransaction,
  options?: HandleAuthorizationResponseOptions,
) => Promise<TokenSet>

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
 * Checks metadata and options and builds the core. With `requestObject: true` the core signs
 * its authorization requests (JAR, RFC 9101) with `privateKey` (`INVALID_ARGUMENT` without one).
 *
 * @example
 * ```ts
 * const core = createClientCore(metadata, { clientId: 'spa', redirectUri })
 * const { url, transaction } = await createAuthorizationRequest(core)
 * ```
 * @example
 * ```ts
 * // A confidential client whose authorization requests are signed request objects
 * const jar = createClientCore(metadata, { clientId: 'web', privateKey, requestObject: true, redirectUri })
 * ```
 * @example
 * ```ts
 * // Mutual TLS (RFC 8705): the certificate comes with fetch, requests go to mtls_endpoint_aliases
 * const mtls = createClientCore(metadata, { clientId: 'daemon', clientAuth: 'tls_client_auth', fetch: certFetch })
 * ```
 */
export function createClientCore(metadata: ServerMetadata, options: ClientOptions): ClientCore {
  const resolved = resolveOptions(options)
  checkMetadata(metadata, resolved)
  // Checked here, not in resolveOptions: public-client bundles carry no JAR code at all.
  const requestObject = options.requestObject === true
  if (requestObject && resolved.privateKey === undefined)
    throw new InvalidArgumentError('options.privateKey is required for requestObject')
  if (resolved.clientAuth.endsWith('tls_client_auth') && options.fetch === undefined)
    throw new InvalidArgumentError(
      `options.fetch is required for ${resolved.clientAuth}: pass a fetch that presents the client certificate (in Node, mtlsFetch({ cert, key }) from @openrp/node)`,
    )
  if (resolved.mtlsEndpointAliases) checkMtlsAliases(metadata)
  // One import of the private key for client assertions and request objects alike.
  const signingKey = lazySigningKey(resolved.privateKey)
  const core = withHybridAndImplicit(
    buildCore(metadata, resolved, createClientAuth(resolved, signingKey), (client) =>
      createDpopHandle(client, resolved.dpop),
    ),
  )
  return requestObject ? { ...core, requestObject: requestObjectSigner(signingKey) } : core
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
  return { ...core, frontChannel: handleFrontChannelResponse }
}

/**
 * {@link createClientCore} for a public client (no secret, no key: `clientAuth` `none`), such as
 * a single-page or native app. A bundle that uses only this carries none of the client
 * authentication methods, no DPoP code unless it also uses {@link withDpop}, and no jose unless
 * it also uses {@link withHybridAndImplicit} (response types with a front-channel ID token). Throws
 * `INVALID_ARGUMENT` when the options name a secret, a key, `dpop` or `requestObject`.
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
  const resolved = resolvePublicClientOptions(options)
  if (resolved.dpop !== false || options.requestObject)
    throw new InvalidArgumentError(
      'createPublicClientCore() takes no dpop or requestObject: use withDpop() or createClientCore()',
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
    // oauth4webapi judges exp / iat as Date.now() plus this documented skew (seconds), read per
    // check: with an injected clock, its offset from the real one.
    ...(resolved.clock !== systemClock && {
      get [oauth.clockSkew]() {
        return (resolved.clock.now() - Date.now()) / 1000
      },
    }),
    ...(resolved.idTokenSignedResponseAlg && {
      id_token_signed_response_alg: resolved.idTokenSignedResponseAlg,
    }),
    // RFC 8705 §5: oauth4webapi picks the alias of each endpoint that has one.
    ...(resolved.mtlsEndpointAliases && { use_mtls_endpoint_aliases: true }),
    // A JSON userinfo answer is then refused (oauth4webapi's JWT_USERINFO_EXPECTED).
    ...(resolved.userinfoSignedResponseAlg && {
      userinfo_signed_response_alg: resolved.userinfoSignedResponseAlg,
    }),
  }
  let dpopHandle: Promise<oauth.DPoPHandle | undefined> | undefined
  const core: ClientCore = {
    metadata,
    server: {
      ...metadata,
      id_token_signing_alg_values_supported: idTokenAlgPolicy(metadata, resolved),
    },
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

/**
 * RFC 8705 §5: the aliases are optional, but those published must be https URLs (a client
 * certificate travels only over TLS).
 */
function checkMtlsAliases(metadata: ServerMetadata): void {
  const aliases = metadata.mtls_endpoint_aliases
  if (aliases === undefined) return
  if (typeof aliases !== 'object' || aliases === null || Array.isArray(aliases))
    throw new ValidationError(
      'METADATA_INVALID',
      'server metadata "mtls_endpoint_aliases" is not an object',
    )
  for (const [name, value] of Object.entries(aliases)) {
    let url: URL | undefined
    try {
      url = typeof value === 'string' ? new URL(value) : undefined
    } catch {}
    if (url?.protocol !== 'https:')
      throw new ValidationError(
        'METADATA_INVALID',
        `server metadata "mtls_endpoint_aliases.${name}" is not an https URL`,
      )
  }
}

function createClientAuth(
  options: ResolvedOptions,
  signingKey: () => Promise<SigningKey>,
): oauth.ClientAuth {
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
        auth ??= signingKey().then((key) => oauth.PrivateKeyJwt(key))
        return (await auth)(as, client, body, headers)
      }
    }
    case 'tls_client_auth':
    case 'self_signed_tls_client_auth':
      // The certificate is presented by the TLS layer (options.fetch); the body names the client.
      return oauth.TlsClientAuth()
  }
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
