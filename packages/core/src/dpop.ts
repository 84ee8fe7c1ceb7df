/**
 * DPoP (RFC 9449) helpers: one retry on `use_dpop_nonce`, and the binding check of token
 * responses. The key pair and nonce cache live in the {@link ClientCore}'s DPoP handle
 * (oauth4webapi remembers the `DPoP-Nonce` of every response per origin).
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from './client-core.ts'
import { InvalidArgumentError, ValidationError } from './errors.ts'
import { TokenSet } from './token-set.ts'
import type { WebCryptoKeyPair } from './key-types.ts'

/**
 * Runs `attempt` and, when the server demands a DPoP nonce, once more (the handle has cached
 * the nonce by then). A second demand throws `DPOP_NONCE_LOOP`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449.html#section-8
 */
export async function withDpopNonceRetry<T>(
  core: ClientCore,
  attempt: () => Promise<T>,
): Promise<T> {
  try {
    return await attempt()
  } catch (error) {
    if (!oauth.isDPoPNonceError(error) || (await core.dpop()) === undefined) throw error
  }
  try {
    return await attempt()
  } catch (error) {
    if (oauth.isDPoPNonceError(error))
      throw new ValidationError('DPOP_NONCE_LOOP', 'The server demanded a fresh DPoP nonce twice', {
        cause: error,
      })
    throw error
  }
}

/** `tokens` recording the thumbprint of the key they are bound to (`dpopJkt`). */
export async function boundToKey(tokens: TokenSet, handle: oauth.DPoPHandle): Promise<TokenSet> {
  const dpopJkt = await handle.calculateThumbprint()
  return new TokenSet({ ...tokens.toJSON(), dpopJkt })
}

/**
 * Throws `DPOP_KEY_MISMATCH` when `tokens` are bound to another DPoP key than this core's (or
 * the core has none): e.g. a process restarted with a fresh `dpop: true` key, or fleet members
 * with keys of their own sharing one store. Nothing is sent: the provider would refuse the
 * proof, and a refused refresh token would end the session for everyone sharing it.
 */
export async function assertDpopKey(core: ClientCore, tokens: TokenSet): Promise<void> {
  if (tokens.dpopJkt === undefined) return
  const ours = await dpopThumbprint(core)
  if (ours !== tokens.dpopJkt)
    throw new ValidationError(
      'DPOP_KEY_MISMATCH',
      ours === undefined
        ? 'These tokens are DPoP-bound, and this client has no DPoP key'
        : 'These tokens are bound to another DPoP key than this client’s (persist the key pair)',
    )
}

/** JWK thumbprint of the DPoP key (the `dpop_jkt` authorization parameter), if DPoP is on. */
export async function dpopThumbprint(core: ClientCore): Promise<string | undefined> {
  return (await core.dpop())?.calculateThumbprint()
}

/**
 * The same core with DPoP (RFC 9449): its token, PAR, userinfo and resource requests carry
 * proofs signed with `keyPair`, and tokens must come back DPoP-bound. For cores made without
 * the `dpop` option, e.g. by createPublicClientCore, so that bundles without DPoP carry none of
 * its code. Throws `INVALID_ARGUMENT` for a key pair that cannot sign.
 *
 * @example
 * ```ts
 * const keyPair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
 *   'sign',
 *   'verify',
 * ])
 * const core = withDpop(createPublicClientCore(metadata, { clientId: 'spa' }), keyPair)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449
 */
export function withDpop(core: ClientCore, keyPair: WebCryptoKeyPair): ClientCore {
  let handle: oauth.DPoPHandle
  try {
    handle = oauth.DPoP(core.client, keyPair)
  } catch {
    throw new InvalidArgumentError('withDpop() needs a CryptoKeyPair usable for signing')
  }
  return {
    ...core,
    options: { ...core.options, dpop: keyPair },
    dpop: () => Promise.resolve(handle),
  }
}
