// Prints one closing line for the whole run ("N passed, N failed") from the runners' reports,
// and exits non-zero when any test or stage failed. Usage: test-summary.mjs <dir> [failed stage...]
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const [dir, ...failedStages] = process.argv.slice(2)
let passed = 0
let failed = 0
let skipped = 0
// The names of the failed tests, listed again at the very end: a CI log is often read from its tail.
const failures = []
const relative = (file) => file.replace(`${process.cwd()}/`, '')

const vitest = join(dir, 'vitest.json')
if (existsSync(vitest)) {
  const r = JSON.parse(readFileSync(vitest, 'utf8'))
  passed += r.numPassedTests
  failed += r.numFailedTests
  skipped += r.numPendingTests + r.numTodoTests
  for (const file of r.testResults) {
    for (const t of file.assertionResults.filter((a) => a.status === 'failed')) {
      const why = String(t.failureMessages?.[0] ?? '').split('\n')[0]
      failures.push(`vitest ${relative(file.name)} › ${t.fullName}\n    ${why}`)
    }
    // A file that failed to load or errored outside its tests has no failed test to name.
    if (file.status === 'failed' && !file.assertionResults.some((a) => a.status === 'failed')) {
      failures.push(`vitest ${relative(file.name)}\n    ${String(file.message).split('\n')[0]}`)
    }
  }
}
// node:test stages (smoke tests, packaging, runtimes) each write a <stage>.tap.
for (const file of readdirSync(dir).filter((f) => f.endsWith('.tap'))) {
  const tap = readFileSync(join(dir, file), 'utf8')
  passed += Number(tap.match(/^# pass (\d+)/m)?.[1] ?? 0)
  failed += Number(tap.match(/^# fail (\d+)/m)?.[1] ?? 0)
  for (const m of tap.matchAll(/^\s*not ok \d+ - (.*)$/gm)) failures.push(`${file} › ${m[1]}`)
  skipped += Number(tap.match(/^# skipped (\d+)/m)?.[1] ?? 0)
}
const playwright = join(dir, 'playwright.json')
if (existsSync(playwright)) {
  const { stats } = JSON.parse(readFileSync(playwright, 'utf8'))
  passed += stats.expected + stats.flaky
  failed += stats.unexpected
  skipped += stats.skipped
  const walk = (suite, path) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests) {
        if (test.status === 'unexpected')
          failures.push(`playwright ${spec.file} › ${[...path, spec.title].join(' › ')}`)
      }
    }
    for (const child of suite.suites ?? []) walk(child, [...path, child.title])
  }
  for (const suite of JSON.parse(readFileSync(playwright, 'utf8')).suites) walk(suite, [])
}

if (failures.length > 0) console.log(`\nFailed tests:\n${failures.map((f) => `  ${f}`).join('\n')}`)
if (failedStages.length > 0) console.log(`\nFailed stages: ${failedStages.join(', ')}`)
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 || failedStages.length > 0 ? 1 : 0)
