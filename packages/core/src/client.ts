/**
 * The all-in-one client: every grant and endpoint as a method. Each method delegates to a
 * standalone function taking the {@link ClientCore}; bundles that must stay small (SPAs) import
 * those functions instead of this class.
 *
 * @module
 */
import {
  type AuthorizationRequest,
  type AuthorizationRequestOptions,
  createAuthorizationRequest,
} from './authorization-request.ts'
import {
  type AuthorizationResponseInput,
  type HandleAuthorizationResponseOptions,
  handleAuthorizationResponse,
} from './authorization-response.ts'
import { type ClientCore, createClientCore, type ServerMetadata } from './client-core.ts'
import { discoverMetadata } from './discover.ts'
import { type EndSessionOptions, endSessionUrl } from './end-session.ts'
import { type ClientCredentialsOptions, clientCredentials } from './grants/client-credentials.ts'
import {
  type DeviceAuthorization,
  type DeviceAuthorizationOptions,
  deviceAuthorization,
} from './grants/device.ts'
import { type GrantOptions, type GrantParams, grant } from './grants/generic.ts'
import { type AssertionGrantOptions, jwtBearer } from './grants/jwt-bearer.ts'
import { type PasswordOptions, password } from './grants/password.ts'
import { type RefreshOptions, refresh } from './grants/refresh.ts'
import { saml2Bearer } from './grants/saml2-bearer.ts'
import { type TokenExchangeOptions, tokenExchange } from './grants/token-exchange.ts'
import { type IntrospectOptions, type IntrospectionResult, introspect } from './introspection.ts'
import {
  type LogoutTokenClaims,
  type ValidateLogoutTokenOptions,
  validateLogoutToken,
} from './logout-token.ts'
import { type ClientOptions, resolveOptions } from './options.ts'
import { fetchProtectedResource, type ProtectedResourceInit } from './resource.ts'
import { type RevokeOptions, revoke } from './revocation.ts'
import type { TokenSet } from './token-set.ts'
import type { AuthTransaction } from './transaction.ts'
import { type UserinfoClaims, type UserinfoOptions, userinfo } from './userinfo.ts'

/**
 * An OAuth 2.0 / OpenID Connect client of one provider. Stateless: transactions and tokens are
 * plain values the caller keeps.
 *
 * @example
 * ```ts
 * const client = await discover('https://login.example.com', { clientId: 'spa', redirectUri })
 * const { url, transaction } = await client.createAuthorizationRequest()
 * // ... redirect, come back ...
 * const tokens = await client.handleAuthorizationResponse(location.href, transaction)
 * ```
 */
export class Client {
  /** The protocol state shared with the standalone functions. */
  readonly core: ClientCore

  /** Static configuration (no discovery). Throws INVALID_ARGUMENT / INSECURE_ENDPOINT / METADATA_INVALID. */
  constructor(serverMetadata: ServerMetadata, options: ClientOptions) {
    this.core = createClientCore(serverMetadata, options)
  }

  /** The provider metadata this client uses. */
  get metadata(): ServerMetadata {
    return this.core.metadata
  }

  /** See {@link createAuthorizationRequest}. */
  createAuthorizationRequest(options?: AuthorizationRequestOptions): Promise<AuthorizationRequest> {
    return createAuthorizationRequest(this.core, options)
  }

  /** See {@link handleAuthorizationResponse}. The transaction is required. */
  handleAuthorizationResponse(
    urlOrParams: AuthorizationResponseInput,
    transaction: AuthTransaction,
    options?: HandleAuthorizationResponseOptions,
  ): Promise<TokenSet> {
    return handleAuthorizationResponse(this.core, urlOrParams, transaction, options)
  }

  /** See {@link refresh}. */
  refresh(refreshTokenOrSet: string | TokenSet, options?: RefreshOptions): Promise<TokenSet> {
    return refresh(this.core, refreshTokenOrSet, options)
  }

  /** See {@link clientCredentials}. */
  clientCredentials(options?: ClientCredentialsOptions): Promise<TokenSet> {
    return clientCredentials(this.core, options)
  }

  /** See {@link deviceAuthorization}. */
  deviceAuthorization(options?: DeviceAuthorizationOptions): Promise<DeviceAuthorization> {
    return deviceAuthorization(this.core, options)
  }

  /** See {@link tokenExchange}. */
  tokenExchange(options: TokenExchangeOptions): Promise<TokenSet> {
    return tokenExchange(this.core, options)
  }

  /** See {@link jwtBearer}. */
  jwtBearer(options: AssertionGrantOptions): Promise<TokenSet> {
    return jwtBearer(this.core, options)
  }

  /** See {@link saml2Bearer}. */
  saml2Bearer(options: AssertionGrantOptions): Promise<TokenSet> {
    return saml2Bearer(this.core, options)
  }

  /**
   * Legacy resource owner password grant. See {@link password}.
   * @deprecated Legacy grant; prefer the authorization code flow.
   */
  password(options: PasswordOptions): Promise<TokenSet> {
    return password(this.core, options)
  }

  /** Any other grant, e.g. a vendor grant. See {@link grant}. */
  grant(grantType: string, params?: GrantParams, options?: GrantOptions): Promise<TokenSet> {
    return grant(this.core, grantType, params, options)
  }

  /** See {@link userinfo}. */
  userinfo(
    accessTokenOrSet: string | TokenSet,
    options?: UserinfoOptions,
  ): Promise<UserinfoClaims> {
    return userinfo(this.core, accessTokenOrSet, options)
  }

  /** See {@link introspect}. */
  introspect(token: string | TokenSet, options?: IntrospectOptions): Promise<IntrospectionResult>
  /** @deprecated Pass the hint in the options: `introspect(token, { tokenTypeHint })`. */
  introspect(
    token: string | TokenSet,
    tokenTypeHint: string | undefined,
    options?: IntrospectOptions,
  ): Promise<IntrospectionResult>
  introspect(
    token: string | TokenSet,
    hintOrOptions?: string | IntrospectOptions,
    options?: IntrospectOptions,
  ): Promise<IntrospectionResult> {
    return typeof hintOrOptions === 'object'
      ? introspect(this.core, token, hintOrOptions)
      : introspect(this.core, token, hintOrOptions, options)
  }

  /** See {@link revoke}. */
  revoke(token: string, options?: RevokeOptions): Promise<void>
  /** @deprecated Pass the hint in the options: `revoke(token, { tokenTypeHint })`. */
  revoke(token: string, tokenTypeHint: string | undefined, options?: RevokeOptions): Promise<void>
  revoke(
    token: string,
    hintOrOptions?: string | RevokeOptions,
    options?: RevokeOptions,
  ): Promise<void> {
    return typeof hintOrOptions === 'object'
      ? revoke(this.core, token, hintOrOptions)
      : revoke(this.core, token, hintOrOptions, options)
  }

  /** See {@link endSessionUrl}. */
  endSessionUrl(options?: EndSessionOptions): URL {
    return endSessionUrl(this.core, options)
  }

  /** See {@link fetchProtectedResource}. */
  fetchProtectedResource(
    url: string | URL,
    tokenSet: TokenSet | string,
    init?: ProtectedResourceInit,
  ): Promise<Response> {
    return fetchProtectedResource(this.core, url, tokenSet, init)
  }

  /** See {@link validateLogoutToken}. */
  validateLogoutToken(
    logoutToken: unknown,
    options?: ValidateLogoutTokenOptions,
  ): Promise<LogoutTokenClaims> {
    return validateLogoutToken(this.core, logoutToken, options)
  }
}

/**
 * Discovers the provider (OpenID Connect Discovery, then RFC 8414) and returns a {@link Client}.
 * The discovered `issuer` must equal `issuer` (`DISCOVERY_ISSUER_MISMATCH`).
 *
 * @example
 * ```ts
 * const client = await discover('https://login.example.com', { clientId: 'm2m', clientSecret })
 * ```
 */
export async function discover(
  issuer: string | URL,
  options: ClientOptions & { signal?: AbortSignal },
): Promise<Client> {
  // Unusable options are refused before any request.
  resolveOptions(options)
  const metadata = await discoverMetadata(issuer, options)
  return new Client(metadata, options)
}
