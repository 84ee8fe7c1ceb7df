/** The server's in-memory state, shared by every endpoint. */
import { DEMO_CLIENTS, DEMO_TRUSTED_ISSUERS, DEMO_USERS } from './defaults.ts'
import { FaultState } from './faults.ts'
import { HoldRegistry } from './holds.ts'
import { organizationSwitchGrant } from './grants/organization-switch.ts'
import { KeyRing } from './keys.ts'
import type { RegistrationRecord } from './registration.ts'
import { RequestLog } from './request-log.ts'
import { SWEEP_GRACE } from './sweep.ts'
import type {
  ClientConfig,
  ReferenceServerOptions,
  TrustedAssertionIssuer,
  UserConfig,
  VendorGrantHandler,
} from './types.ts'
import type { ResponseType } from './types.ts'
import { DEFAULT_USER_CODE_ATTEMPTS, UserCodeAttempts } from './user-code-attempts.ts'

/** A validated authorization request waiting for login / consent. */
export interface Interaction {
  id: string
  kind: 'authorize' | 'device'
  clientId: string
  /** Validated authorization parameters (authorize) . */
  request?: AuthorizationRequest
  /** The user code being approved (device). */
  userCode?: string
  createdAt: number
  /** The browser (BROWSER_COOKIE) that started it; other browsers cannot continue it. */
  browserId: string
  /** The user logged in during this interaction (prompt=login, max_age). */
  loggedIn?: boolean
  /** Consent given during this interaction. */
  consented?: boolean
}

export interface AuthorizationRequest {
  clientId: string
  redirectUri: string
  responseType: ResponseType
  responseMode: 'query' | 'fragment' | 'form_post'
  scope: string[]
  state?: string
  nonce?: string
  codeChallenge?: string
  prompt: string[]
  maxAge?: number
  loginHint?: string
  /** `sub` of the verified `id_token_hint` (OIDC Core §3.1.2.1): only that user is answered. */
  idTokenHintSub?: string
  acrValues: string[]
  dpopJkt?: string
  resource: string[]
}

export interface Session {
  /** The cookie value (never shown to clients). */
  id: string
  /** The `sid` claim of ID tokens and logout tokens (OIDC Back-Channel Logout). */
  sid: string
  sub: string
  authTime: number
  acr: string
  /** One-time token of the pending "sign out?" question (logout without id_token_hint). */
  logoutConfirmation?: string
}

/** A grant is what a family of tokens hangs on: revoking it kills every token in it. */
export interface GrantRecord {
  id: string
  clientId: string
  sub: string
  /** The provider session the grant was given in (front-channel grants only). */
  sid?: string
  revoked: boolean
}

export interface CodeRecord {
  code: string
  grantId: string
  request: AuthorizationRequest
  sub: string
  authTime: number
  acr: string
  sid: string
  expiresAt: number
  used: boolean
}

export interface AccessTokenRecord {
  jti: string
  grantId?: string
  clientId: string
  sub: string
  scope: string[]
  expiresAt: number
  revoked: boolean
  jkt?: string
}

export interface RefreshTokenRecord {
  token: string
  grantId: string
  clientId: string
  sub: string
  scope: string[]
  expiresAt: number
  used: boolean
  /** When it was exchanged (or superseded), server milliseconds: the reuse interval counts from here. */
  usedAtMs?: number
  /** The refresh token its exchange issued last (what a replay in the reuse interval supersedes). */
  successor?: string
  authTime?: number
  acr?: string
  /** Bound to a DPoP key (public clients, RFC 9449 §5). */
  jkt?: string
  /** Bound to a client certificate, `x5t#S256` (public clients, RFC 8705 §4). */
  x5t?: string
  sid?: string
  audience?: string[]
  extraClaims?: Record<string, unknown>
}

export interface DeviceRecord {
  deviceCode: string
  userCode: string
  clientId: string
  scope: string[]
  expiresAt: number
  interval: number
  lastPoll?: number
  status: 'pending' | 'approved' | 'denied' | 'used'
  sub?: string
  authTime?: number
}

export interface ParRecord {
  requestUri: string
  clientId: string
  params: URLSearchParams
  expiresAt: number
  dpopJkt?: string
}

export interface ServerState {
  issuer: string
  /** Base URL of the mutual-TLS listener (RFC 8705 §5), set once it listens. */
  mtlsUrl?: string
  options: ReferenceServerOptions
  clients: Map<string, ClientConfig>
  users: UserConfig[]
  trustedIssuers: TrustedAssertionIssuer[]
  vendorGrants: Record<string, VendorGrantHandler>
  keys: KeyRing
  faults: FaultState
  holds: HoldRegistry
  log: RequestLog
  corsOrigins: Set<string>
  clockOffset: number
  /** Seconds since the epoch of the server's clock (`options.clock`), shifted by setClockOffset. */
  now(): number
  /** Milliseconds since the epoch of the server's clock, without the offset (request log). */
  nowMs(): number
  /** Milliseconds since the epoch of the server's clock, shifted by setClockOffset. */
  shiftedNowMs(): number
  interactions: Map<string, Interaction>
  sessions: Map<string, Session>
  /** `${sub} ${client_id}` -> consented scopes. */
  consents: Map<string, Set<string>>
  grants: Map<string, GrantRecord>
  codes: Map<string, CodeRecord>
  accessTokens: Map<string, AccessTokenRecord>
  refreshTokens: Map<string, RefreshTokenRecord>
  devices: Map<string, DeviceRecord>
  par: Map<string, ParRecord>
  /**
   * Seen `jti`s of client assertions, JWT bearer assertions, DPoP proofs, SAML IDs -> expiry
   * (server clock seconds); swept by {@link rememberJti}, on the server's clock.
   */
  seenJti: Map<string, number>
  /** When {@link rememberJti} last swept `seenJti` (server clock seconds). */
  seenJtiSweptAt: number
  /**
   * `jti`s of the request objects (RFC 9101) taken at /authorize and /par, as
   * `${client_id} ${jti}` -> the second (server clock) after which the object is expired; each is
   * forgotten once that has passed.
   */
  requestObjectJtis: Map<string, number>
  /** Valid DPoP nonces (current first). */
  dpopNonces: string[]
  /** Dynamically registered clients (RFC 7591): client_id -> registration access token etc. */
  registrations: Map<string, RegistrationRecord>
  /** Wrong user codes entered at the verification page, per source (RFC 8628 §5.1). */
  userCodeAttempts: UserCodeAttempts
}

export const ttl = (state: Pick<ServerState, 'options'>) => ({
  accessToken: state.options.accessTokenTtl ?? 3600,
  idToken: state.options.idTokenTtl ?? 3600,
  refreshToken: state.options.refreshTokenTtl ?? 86_400 * 14,
  code: state.options.authorizationCodeTtl ?? 60,
  device: state.options.deviceCodeTtl ?? 600,
  deviceInterval: state.options.deviceInterval ?? 5,
})

/** Seconds a rotated refresh token of `client` may be exchanged again (0: never). */
export function refreshTokenReuseInterval(
  state: ServerState,
  client: { refresh_token_reuse_interval?: number },
): number {
  const value = client.refresh_token_reuse_interval ?? state.options.refreshTokenReuseInterval ?? 0
  return Number.isFinite(value) && value > 0 ? value : 0
}

/** Server clock seconds between two sweeps of `seenJti`. */
const JTI_SWEEP_EVERY = 60

/**
 * Records a one-time identifier; false when it was already seen (a replay). Identifiers expired
 * for longer than the sweep grace are forgotten first, at most once a minute, by the server's
 * clock (an injected one too): what they identified is refused as expired by then.
 */
export function rememberJti(state: ServerState, key: string, expiresAt: number): boolean {
  const now = state.now()
  if (now - state.seenJtiSweptAt >= JTI_SWEEP_EVERY) {
    state.seenJtiSweptAt = now
    for (const [k, exp] of state.seenJti) if (exp < now - SWEEP_GRACE) state.seenJti.delete(k)
  }
  if (state.seenJti.has(key)) return false
  state.seenJti.set(key, expiresAt)
  return true
}

export function findUser(state: ServerState, sub: string): UserConfig | undefined {
  return state.users.find((u) => u.sub === sub)
}

/** Fresh state for `options` (the issuer is set once the port is known). */
export async function createServerState(options: ReferenceServerOptions): Promise<ServerState> {
  // First, so a bad option fails before any key is made. A wrong code counts for as long as a
  // device code lives: the device-flow window.
  const userCodeAttempts = new UserCodeAttempts(
    options.deviceUserCodeAttempts ?? DEFAULT_USER_CODE_ATTEMPTS,
    ttl({ options }).device * 1000,
  )
  const state: ServerState = {
    issuer: options.issuer ?? '',
    options,
    clients: new Map(
      (options.clients ?? DEMO_CLIENTS).map((c) => [c.client_id, structuredClone(c)]),
    ),
    users: structuredClone(options.users ?? DEMO_USERS),
    trustedIssuers: options.trustedIssuers ?? DEMO_TRUSTED_ISSUERS,
    vendorGrants: { organization_switch: organizationSwitchGrant, ...options.grants },
    keys: await KeyRing.create(options.generateKeyPair),
    faults: new FaultState(),
    holds: new HoldRegistry(),
    log: new RequestLog(options.log),
    corsOrigins: new Set(),
    clockOffset: 0,
    now: () => Math.floor(state.nowMs() / 1000) + state.clockOffset,
    nowMs: options.clock ? () => options.clock!.now() : () => Date.now(),
    shiftedNowMs: () => state.nowMs() + state.clockOffset * 1000,
    interactions: new Map(),
    sessions: new Map(),
    consents: new Map(),
    grants: new Map(),
    codes: new Map(),
    accessTokens: new Map(),
    refreshTokens: new Map(),
    devices: new Map(),
    par: new Map(),
    seenJti: new Map(),
    seenJtiSweptAt: Number.NEGATIVE_INFINITY,
    requestObjectJtis: new Map(),
    dpopNonces: [],
    registrations: new Map(),
    userCodeAttempts,
  }
  return state
}
