// Prints one closing line for the whole run ("N passed, N failed") from the runners' reports,
// and exits non-zero when any test or stage failed. Usage: test-summary.mjs <dir> [failed stage...]
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const [dir, ...failedStages] = process.argv.slice(2)
let passed = 0
let failed = 0
let skipped = 0

const vitest = join(dir, 'vitest.json')
if (existsSync(vitest)) {
  const r = JSON.parse(readFileSync(vitest, 'utf8'))
  passed += r.numPassedTests
  failed += r.numFailedTests
  skipped += r.numPendingTests + r.numTodoTests
}
// node:test stages (smoke tests, packaging, runtimes) each write a <stage>.tap.
for (const file of readdirSync(dir).filter((f) => f.endsWith('.tap'))) {
  const tap = readFileSync(join(dir, file), 'utf8')
  passed += Number(tap.match(/^# pass (\d+)/m)?.[1] ?? 0)
  failed += Number(tap.match(/^# fail (\d+)/m)?.[1] ?? 0)
  skipped += Number(tap.match(/^# skipped (\d+)/m)?.[1] ?? 0)
}
const playwright = join(dir, 'playwright.json')
if (existsSync(playwright)) {
  const { stats } = JSON.parse(readFileSync(playwright, 'utf8'))
  passed += stats.expected + stats.flaky
  failed += stats.unexpected
  skipped += stats.skipped
}

if (failedStages.length > 0) console.log(`\nFailed stages: ${failedStages.join(', ')}`)
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 || failedStages.length > 0 ? 1 : 0)
