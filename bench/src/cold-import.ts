import { spawnSync } from 'node:child_process'
import { BENCH_DIR } from './lib/child.ts'
import { type Summary, summarize } from './lib/stats.ts'

/** What each cold-import process does; `null` is bare `node` (the floor). */
export const COLD_IMPORT_TARGETS: { name: string; specifier: string | null }[] = [
  { name: 'bare node', specifier: null },
  { name: '@openrp/core', specifier: '@openrp/core' },
  { name: '@openrp/node', specifier: '@openrp/node' },
  { name: 'openid-client', specifier: 'openid-client' },
  { name: '@azure/msal-node', specifier: '@azure/msal-node' },
]

function once(specifier: string | null): number {
  const code = specifier ? `await import(${JSON.stringify(specifier)})` : ''
  const start = performance.now()
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: BENCH_DIR,
    // No inherited --conditions / loaders: the built dist, as users import it.
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const elapsed = performance.now() - start
  if (result.status !== 0) {
    throw new Error(`importing ${specifier} failed:\n${result.stderr?.toString()}`)
  }
  return elapsed
}

/**
 * Wall time of a whole `node` process that imports one package (ESM, the package's built
 * dist) and exits, interleaved over `runs` rounds after one discarded warm-up round (which fills
 * the OS file cache).
 */
export function measureColdImports(runs = 15): Record<string, Summary> {
  const times: Record<string, number[]> = {}
  for (const t of COLD_IMPORT_TARGETS) {
    once(t.specifier)
    times[t.name] = []
  }
  for (let r = 0; r < runs; r++) {
    for (const t of COLD_IMPORT_TARGETS) times[t.name]!.push(once(t.specifier))
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, summarize(v)]))
}
