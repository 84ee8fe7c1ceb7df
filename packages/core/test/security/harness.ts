/// <reference types="node" />
/**
 * Shared setup of the security battery: one reference server per file (real HTTP on
 * 127.0.0.1), clients for its demo registrations, a login that goes through its real pages,
 * and the checks every case repeats: the typed error `code`, nothing stored, no further
 * endpoint called.
 */
import {
  completeLogin,
  DEMO_SPA_ORIGIN,
  type EndpointName,
  type Faults,
  type ReferenceServer,
  type ReferenceServerOptions,
  startReferenceServer,
} from '@openrp/reference-server'
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import {
  type AuthorizationRequestOptions,
  type AuthTransaction,
  Client,
  type ClientOptions,
  discoverMetadata,
  MemoryStore,
  type OpenRpError,
  isOpenRpError,
  type ResponseType,
  type StoreSetOptions,
  TokenManager,
} from '../../src/index.ts'

export const SPA_REDIRECT = `${DEMO_SPA_ORIGIN}/callback.html`
export const WEB_REDIRECT = 'http://127.0.0.1:4002/callback'
export const SESSION_KEY = 'session'

/** The demo users' passwords (a local test server only). */
const PASSWORDS: Record<string, string> = { alice: 'wonderland', bob: 'builder' }

export interface Provider {
  server: ReferenceServer
  /** `spa`: public, code only. */
  spa(options?: Partial<ClientOptions>): Promise<Client>
  /** `legacy-spa`: every response type (hybrid and implicit). */
  legacy(options?: Partial<ClientOptions>): Promise<Client>
  /** `web`: confidential (client_secret_basic), code and `code id_token`. */
  web(options?: Partial<ClientOptions>): Promise<Client>
  /** Requests that reached `endpoint` since the last clear. */
  hits(endpoint: EndpointName): number
}

/** Starts a reference server for the file; faults and the request log reset after each test. */
export function useProvider(options: ReferenceServerOptions = {}): Provider {
  const provider = {} as Provider
  beforeAll(async () => {
    // Fixed RSA test keys: the file's servers and rotations generate none.
    const server = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      ...options,
    })
    // Discovery runs with default transport options, so a test's short timeoutMs (or custom
    // fetch) applies to what it exercises, not to discovery on a loaded machine.
    const make =
      (base: ClientOptions) =>
      async (extra: Partial<ClientOptions> = {}) =>
        new Client(await discoverMetadata(server.issuer), { ...base, ...extra })
    Object.assign(provider, {
      server,
      spa: make({
        clientId: 'spa',
        redirectUri: SPA_REDIRECT,
        scope: 'openid profile offline_access',
      }),
      legacy: make({
        clientId: 'legacy-spa',
        redirectUri: SPA_REDIRECT,
        scope: 'openid profile offline_access',
      }),
      web: make({
        clientId: 'web',
        clientSecret: 'web-secret',
        redirectUri: WEB_REDIRECT,
        scope: 'openid profile offline_access',
      }),
      hits: (endpoint: EndpointName) => server.control.requests({ endpoint }).length,
    } satisfies Provider)
  })
  afterEach(() => {
    provider.server.control.resetFaults()
    provider.server.control.clearRequests()
  })
  afterAll(() => provider.server?.close())
  return provider
}

export interface Authorized {
  params: URLSearchParams
  transaction: AuthTransaction
}

/**
 * Runs the front channel as a user would (login and consent pages) with `faults` active, and
 * returns what reached the redirect URI. The request log is cleared afterwards, so `hits()`
 * counts only what the client does with the response. Asks for `prompt=consent` unless told
 * otherwise: `offline_access` (a refresh token) needs it (OpenID Connect Core §11).
 */
export async function authorize(
  provider: Provider,
  client: Client,
  options: AuthorizationRequestOptions = {},
  faults?: Faults,
  username = 'alice',
): Promise<Authorized> {
  const { url, transaction } = await client.createAuthorizationRequest({
    prompt: 'consent',
    ...options,
  })
  if (faults) provider.server.control.setFaults(faults)
  const { params } = await completeLogin(url, { username, password: PASSWORDS[username] })
  provider.server.control.clearRequests()
  return { params, transaction }
}

/** A real MemoryStore that remembers every write, so a test can say "nothing was stored". */
export class RecordingStore extends MemoryStore {
  readonly writes: Array<{ key: string; value: unknown }> = []
  override async set(key: string, value: unknown, options?: StoreSetOptions): Promise<void> {
    this.writes.push({ key, value: structuredClone(value) })
    return super.set(key, value, options)
  }
}

/** What an app's callback route does: validate the response, then keep the session. */
export function session(client: Client, store = new RecordingStore()) {
  const manager = new TokenManager({ client, store, key: SESSION_KEY })
  return {
    store,
    manager,
    /** handleAuthorizationResponse, then store the tokens (only reached on success). */
    async callback({ params, transaction }: Authorized) {
      const tokens = await client.handleAuthorizationResponse(params, transaction)
      await manager.setTokenSet(tokens)
      return tokens
    },
  }
}

/** Awaits `promise`, expects an openrp error with `code`, and returns it. */
export async function refused(promise: Promise<unknown>, code: string): Promise<OpenRpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, `expected a refusal with ${code}`).toBeDefined()
  expect(isOpenRpError(error), `not an openrp error: ${String(error)}`).toBe(true)
  expect((error as OpenRpError).code).toBe(code)
  return error as OpenRpError
}

/**
 * One login with the `legacy-spa` client (every response type) under `faults`: the callback
 * must be refused with `code` and store nothing. Returns the error; the caller checks which
 * endpoints were (not) reached.
 */
export async function refusesLogin(
  provider: Provider,
  responseType: ResponseType,
  faults: Faults,
  code: string,
): Promise<OpenRpError> {
  const client = await provider.legacy()
  const s = session(client)
  const response = await authorize(provider, client, { responseType }, faults)
  const error = await refused(s.callback(response), code)
  await expectNothingStored(s.store)
  return error
}

/** Asserts that the store holds no session and was never written to. */
export async function expectNothingStored(store: RecordingStore): Promise<void> {
  expect(store.writes).toEqual([])
  expect(await store.get(SESSION_KEY)).toBeUndefined()
}

/** Response types whose front channel carries an ID token. */
export const FRONT_ID_TOKEN: ResponseType[] = [
  'code id_token',
  'code id_token token',
  'id_token',
  'id_token token',
]
/** Every response type of the Basic, Implicit and Hybrid profiles. */
export const ALL_RESPONSE_TYPES: ResponseType[] = [
  'code',
  'id_token',
  'id_token token',
  'code id_token',
  'code token',
  'code id_token token',
]

/** Whether a response type redeems a code at the token endpoint. */
export function hasCode(responseType: ResponseType): boolean {
  return responseType.startsWith('code')
}
