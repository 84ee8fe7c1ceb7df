/**
 * `spaUserinfo`: the opt-in behind {@link SpaClient.userinfo}. Fetches the user's claims with
 * core's `userinfo` (its `sub` check included), keeps them in the session's store next to the
 * session, and merges them into `getUser()`. An app that does not pass it bundles none of this.
 *
 * @module
 */
import {
  type ClientCore,
  type IdTokenClaims,
  type Store,
  type TokenSet,
  type UserinfoClaims,
  userinfo,
} from '@openrp/core'

/**
 * What the `userinfo` option of {@link createSpaClient} takes: {@link spaUserinfo}. `key` is
 * the session's storage key; the claims are kept under `<key>:userinfo`.
 */
export interface SpaUserinfo {
  /** Fetches the claims with `tokens` (sub checked against its ID token) and keeps them. */
  fetch(
    core: ClientCore,
    tokens: TokenSet,
    store: Store,
    key: string,
    signal?: AbortSignal,
  ): Promise<UserinfoClaims>
  /** `claims` with the kept claims of the same `sub` merged in (`claims` win). */
  merge(claims: IdTokenClaims, store: Store, key: string): Promise<IdTokenClaims>
  /** Drops the kept claims. */
  forget(store: Store, key: string): Promise<void>
}

/** What is kept in the store. */
interface KeptUserinfo {
  sub: string
  claims: UserinfoClaims
}

const keyOf = (key: string) => `${key}:userinfo`

/**
 * The userinfo opt-in of the SPA client: pass it as `userinfo` to turn on `spa.userinfo()`.
 *
 * @example
 * ```ts
 * import { createSpaClient, spaUserinfo } from '@openrp/browser'
 * const spa = createSpaClient({ issuer, clientId, redirectUri, userinfo: spaUserinfo })
 * const { name } = await spa.userinfo()
 * ```
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 */
export const spaUserinfo: SpaUserinfo = {
  async fetch(core, tokens, store, key, signal) {
    const claims = await userinfo(core, tokens, { signal })
    await store.set(keyOf(key), { sub: claims.sub, claims } satisfies KeptUserinfo)
    return claims
  },
  async merge(claims, store, key) {
    const kept = await store.get(keyOf(key)).catch(() => undefined)
    return isKept(kept) && kept.sub === claims.sub ? { ...kept.claims, ...claims } : claims
  },
  forget(store, key) {
    return store.delete(keyOf(key))
  },
}

function isKept(value: unknown): value is KeptUserinfo {
  if (typeof value !== 'object' || value === null) return false
  const { sub, claims } = value as Partial<KeptUserinfo>
  return typeof sub === 'string' && typeof claims === 'object' && claims !== null
}
