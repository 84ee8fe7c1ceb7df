/**
 * ClientCredentialsProvider's memory over many distinct scopes: the heap after a full GC,
 * before and after getToken() for `KEYS` (default 50,000) distinct scopes, each token valid an
 * hour and minted by an in-memory client (the cache is measured, not the protocol). Twice: with
 * a shared store that keeps nothing here (as a RedisStore would: the provider's own map is what
 * grows), and with the default store (the provider's own MemoryStore, capped at
 * `maxCachedTokens`). Each after a warm-up that is not counted. Prints one JSON line.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type Store, TokenSet } from '@openrp/core'
import { ClientCredentialsProvider } from '@openrp/node'

/**
 * What the worker prints.
 *
 * @example
 * ```ts
 * const heap = await runWorker<CacheHeapResult>('cc-heap.ts')
 * console.log(heap.providerHeapBytes / 2 ** 20, 'MiB')
 * ```
 */
export interface CacheHeapResult {
  keys: number
  /** Tokens the provider kept in memory at the end (shared store). */
  cachedTokens: number
  /** Heap growth with a shared store that keeps nothing in this process, bytes. */
  providerHeapBytes: number
  /** Heap growth with the provider's default store (its own MemoryStore), bytes. */
  defaultStoreHeapBytes: number
}

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const keys = Number(process.env.KEYS ?? 50_000)

/** A store elsewhere (RedisStore's role): nothing it holds lives in this process's heap. */
const elsewhere: Store = {
  get: async () => undefined,
  set: async () => {},
  delete: async () => {},
}

function heap(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

async function measure(store: Store | undefined, count = keys) {
  let minted = 0
  const client = {
    clientCredentials: async () =>
      new TokenSet({
        accessToken: `token-${++minted}-${'x'.repeat(40)}`,
        tokenType: 'Bearer',
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
        scope: `scope:${minted}`,
      }),
  }
  const before = heap()
  const provider = new ClientCredentialsProvider({ client, ...(store && { store }) })
  for (let i = 0; i < count; i++) await provider.getToken({ scope: `scope:${i}` })
  const grown = heap() - before
  // Still reachable while measured.
  return { grown, cached: provider.cachedTokens }
}

// Warm-up, not counted: one-time allocations (compiled code, module state) would otherwise be
// charged to whichever is measured first.
await measure(elsewhere, 5_000)
await measure(undefined, 5_000)
const shared = await measure(elsewhere)
const own = await measure(undefined)
const result: CacheHeapResult = {
  keys,
  cachedTokens: shared.cached,
  providerHeapBytes: Math.max(0, shared.grown),
  defaultStoreHeapBytes: Math.max(0, own.grown),
}
console.log(JSON.stringify(result))
