import { Client, createClientCore, validateIdToken } from '@openrp/core'
import {
  CLIENT_ID,
  cannedFetch,
  type IdTokenFixture,
  SERVER_METADATA,
} from './id-token-fixtures.ts'

/**
 * openrp: client.refresh() whose response carries the ID token; openrp always verifies the
 * signature and every claim (iss, aud, azp, exp, iat age, sub). Same in-memory fetch as the
 * others.
 */
export function openrpRefresh(fixture: IdTokenFixture): () => Promise<unknown> {
  const client = new Client(SERVER_METADATA, { clientId: CLIENT_ID, fetch: cannedFetch(fixture) })
  return async () => {
    const tokens = await client.refresh('bench-refresh-token')
    if (!tokens.claims()?.sub) throw new Error('openrp returned no ID token claims')
    return tokens
  }
}

/**
 * openrp's validateIdToken() alone (signature, alg allow-list, iss, aud, azp, exp, iat age,
 * sub, nonce/auth_time/hash rules): comparable with the bare jwtVerify floor.
 */
export function openrpValidateIdToken(fixture: IdTokenFixture): () => Promise<unknown> {
  const core = createClientCore(SERVER_METADATA, {
    clientId: CLIENT_ID,
    fetch: cannedFetch(fixture),
  })
  return () => validateIdToken(core, fixture.idToken)
}
