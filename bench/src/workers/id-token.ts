/**
 * ID-token validation per second, RS256 and ES256. Every subject processes the same token
 * response (with the same ID token) from the same in-memory fetch; jose.jwtVerify alone is the
 * floor. Prints one JSON line.
 */
import { compareRates, type Summary } from '../lib/stats.ts'
import { joseJwtVerify, openidClientRefresh } from '../subjects/id-token-competitors.ts'
import { type IdTokenAlg, makeFixture } from '../subjects/id-token-fixtures.ts'
import { openrpRefresh, openrpValidateIdToken } from '../subjects/id-token-openrp.ts'

// 15 rounds: the ratios are read to a few per cent, and single rounds scatter by more than that.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15)
const results: Record<string, Record<string, Summary>> = {}
for (const alg of ['RS256', 'ES256'] as IdTokenAlg[]) {
  const fixture = await makeFixture(alg)
  const subjects = {
    'openrp client.refresh() (token response + ID token)': openrpRefresh(fixture),
    'openid-client refreshTokenGrant() + enableNonRepudiationChecks': openidClientRefresh(fixture),
    'openrp validateIdToken() alone': openrpValidateIdToken(fixture),
    'jose jwtVerify() alone (floor)': joseJwtVerify(fixture),
  }
  // A first call each: fails loudly if a subject refuses the token, and loads the JWKS.
  for (const fn of Object.values(subjects)) await fn()
  results[alg] = await compareRates(subjects, { rounds: ROUNDS, ms: 500 })
}
console.log(JSON.stringify(results))
