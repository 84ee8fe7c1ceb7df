/**
 * ID-token validation, RS256 and ES256: calls per CPU-second of each subject, all in this one
 * process (see compareCpuRates). Every subject processes the same token response (with the same
 * ID token) from the same in-memory fetch; jose.jwtVerify alone is the floor. openrp is imported
 * as users get it (its built dist) when the runner starts this worker without the source
 * condition. Prints one JSON line.
 */
import { type CpuComparison, compareCpuRates } from '../lib/stats.ts'
import { joseJwtVerify, openidClientRefresh } from '../subjects/id-token-competitors.ts'
import { type IdTokenAlg, makeFixture } from '../subjects/id-token-fixtures.ts'
import { openrpRefresh, openrpValidateIdToken } from '../subjects/id-token-openrp.ts'

/**
 * Short rounds, many of them: a single 5 ms round scatters by ±10% or more on a busy machine;
 * the runner pools the rounds of several of these processes.
 */
const ID_TOKEN_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 161)
const ID_TOKEN_ROUND_MS = 5
/** Each process its own order of rounds. */
const SEED = Number(process.env.BENCH_SEED ?? 1)

const results: Record<string, CpuComparison> = {}
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
  results[alg] = await compareCpuRates(subjects, {
    rounds: ID_TOKEN_ROUNDS,
    roundMs: ID_TOKEN_ROUND_MS,
    warmupMs: 1000,
    seed: SEED,
  })
}
console.log(JSON.stringify(results))
