import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository's root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

/** Whether a package's dist/index.js is missing or older than any of its sources. */
function stale(pkg: string): boolean {
  try {
    const built = statSync(join(ROOT, 'packages', pkg, 'dist', 'index.js')).mtimeMs
    return newestMtime(join(ROOT, 'packages', pkg, 'src')) > built
  } catch {
    return true
  }
}

/**
 * Cold-import figures come from the built dist, as users import it: build the packages when a
 * dist is missing or older than its sources.
 */
export function ensureBuilt(packages: string[], log: (line: string) => void): void {
  const missing = packages.filter(stale)
  if (missing.length === 0) return
  log(`  building packages (dist missing or stale: ${missing.join(', ')})`)
  const result = spawnSync('pnpm', ['--filter', './packages/**', 'run', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  if (result.status !== 0) throw new Error('pnpm --filter "./packages/**" run build failed')
}
