/**
 * Regression: an RFC 7592 read or update answer that issued a `client_secret` without
 * `client_secret_expires_at` was taken, although RFC 7591 §3.2.1 (which RFC 7592 §3 extends)
 * makes it REQUIRED with a secret, and registerClient() refuses the same answer. Both are now
 * INVALID_RESPONSE, with the secrets kept out of the error.
 */
import { describe, expect, it } from 'vitest'
import {
  type ClientMetadata,
  readClientRegistration,
  registerClient,
  updateClientRegistration,
} from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const DAEMON: ClientMetadata = {
  client_name: 'Registered daemon',
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['client_credentials'],
  scope: 'api:read',
}
const noExpiry = { registrationResponse: { omit: ['client_secret_expires_at'], times: 1 } }

describe('a client_secret comes with client_secret_expires_at (RFC 7591 §3.2.1)', () => {
  it('registration, read and update refuse an answer without it', async () => {
    h.server.control.setFaults(noExpiry)
    await expect(registerClient(h.server.issuer, DAEMON)).rejects.toMatchObject({
      code: 'INVALID_RESPONSE',
    })
    const registered = await registerClient(h.server.issuer, DAEMON)
    expect(registered.client_secret_expires_at).toBe(0)
    for (const call of [
      () => readClientRegistration(registered),
      () => updateClientRegistration(registered, { ...registered, client_name: 'Renamed' }),
    ]) {
      h.server.control.setFaults(noExpiry)
      const error = (await call().catch((e: unknown) => e)) as Error
      expect(error).toMatchObject({ code: 'INVALID_RESPONSE' })
      expect(`${error.message} ${JSON.stringify(error.cause)}`).not.toContain(
        registered.client_secret,
      )
    }
    // Answers that carry it are taken.
    expect((await readClientRegistration(registered)).client_secret_expires_at).toBe(0)
  })
})
