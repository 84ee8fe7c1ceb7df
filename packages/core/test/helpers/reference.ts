/// <reference types="node" />
/**
 * Shared setup of integration tests: one reference server per test file, clients for its demo
 * registrations, and a login helper that goes through the real login pages.
 */
import {
  completeLogin,
  DEMO_SPA_ORIGIN,
  type ReferenceServer,
  type ReferenceServerOptions,
  startReferenceServer,
} from '@openrp/reference-server'
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { type Client, type ClientOptions, discover } from '../../src/index.ts'
import type { AuthorizationRequestOptions } from '../../src/authorization-request.ts'

export const SPA_REDIRECT = `${DEMO_SPA_ORIGIN}/callback.html`
export const WEB_REDIRECT = 'http://127.0.0.1:4002/callback'

export interface Harness {
  server: ReferenceServer
  client(options: ClientOptions): Promise<Client>
}

/** Starts a reference server for the file; faults and the request log reset after each test. */
export function useReferenceServer(options: ReferenceServerOptions = {}): Harness {
  const harness = {} as Harness
  beforeAll(async () => {
    // Fixed RSA test keys: the file's server and its rotations generate none.
    harness.server = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      ...options,
    })
    harness.client = (options) => discover(harness.server.issuer, options)
  })
  afterEach(() => {
    harness.server.control.resetFaults()
    harness.server.control.clearRequests()
  })
  afterAll(() => harness.server.close())
  return harness
}

/**
 * Runs a full front-channel login as alice and returns what reached the redirect URI. Asks for
 * `prompt=consent` unless told otherwise: the reference server, like conformant providers, grants
 * `offline_access` (a refresh token) only then (OpenID Connect Core §11).
 */
export async function login(
  client: Client,
  options: AuthorizationRequestOptions = {},
  username = 'alice',
) {
  const { url, transaction } = await client.createAuthorizationRequest({
    prompt: 'consent',
    ...options,
  })
  const users: Record<string, string> = { alice: 'wonderland', bob: 'builder' }
  const completed = await completeLogin(url, { username, password: users[username] })
  return { ...completed, transaction, requestUrl: url }
}
