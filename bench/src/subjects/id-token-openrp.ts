import { Client } from '@openrp/core'
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
