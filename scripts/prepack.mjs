// `prepack` of every published package: builds dist/ afresh with rollup unless every file in it is
// newer than everything it is built from (src/, package.json, rollup.config.mjs, the shared rollup setup),
// so `pnpm pack` right after `pnpm build` does not build twice, and `pnpm pack` on a fresh
// checkout still ships a dist/. Run from the package's directory.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'

const sources = ['src', 'package.json', 'rollup.config.mjs', '../../scripts/rollup-package.mjs']

function newest(path, pick) {
  if (!existsSync(path)) return undefined
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let result
  for (const entry of readdirSync(path)) {
    const time = newest(join(path, entry), pick)
    if (time !== undefined) result = result === undefined ? time : pick(result, time)
  }
  return result
}

const oldestOutput = newest('dist', Math.min)
const newestInput = Math.max(...sources.map((path) => newest(path, Math.max) ?? 0))
if (oldestOutput !== undefined && oldestOutput > newestInput) {
  console.log('prepack: dist/ is newer than its sources; not rebuilt')
} else {
  // A clean build: no chunk of an earlier build may end up in the tarball.
  rmSync('dist', { recursive: true, force: true })
  execFileSync('rollup', ['-c'], { stdio: 'inherit' })
}
