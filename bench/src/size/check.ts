/**
 * `pnpm --filter @openrp/bench run size:check`: bundles openrp's SPA entries exactly as
 * `pnpm bench` does and fails when min+gzip exceeds bench/size/budget.json, or when a bundle
 * carries code it must not (another grant, Redis, a `node:` import; the TV bundle may carry the
 * device flow). Deterministic: no timing.
 */
import { readFileSync } from 'node:fs'
import { bundleEntry, kb } from './bundle.ts'
import { OPENRP_BUNDLES } from './libraries.ts'

/** Largest allowed min+gzip bytes per openrp entry file (bench/size/entries/). */
type Budget = Record<string, number>

const budgetUrl = new URL('../../size/budget.json', import.meta.url)
const budget = JSON.parse(readFileSync(budgetUrl, 'utf8')) as { gzipBytes: Budget }
const problems: string[] = []

for (const subject of OPENRP_BUNDLES) {
  const limit = budget.gzipBytes[subject.entry]
  const size = await bundleEntry(subject.entry)
  if (limit === undefined) {
    problems.push(`bench/size/budget.json has no gzipBytes["${subject.entry}"]`)
  } else if (size.gzip > limit) {
    problems.push(
      `${subject.name} bundle is ${size.gzip} bytes min+gzip, over the budget of ${limit} bytes (bench/size/budget.json). Find what grew (a new import in @openrp/browser or @openrp/core?) or, if the growth is wanted, raise the budget in the same change and say why.`,
    )
  }
  for (const label of size.forbidden.filter((l) => !subject.allows?.includes(l))) {
    problems.push(`${subject.name} bundle contains ${label} code; it must be tree-shaken away`)
  }
  for (const external of size.externals) {
    problems.push(`${subject.name} bundle imports "${external}" from outside the bundle`)
  }
  console.log(
    `${subject.name}: ${kb(size.min)} min, ${kb(size.gzip)} min+gzip (budget ${limit === undefined ? 'none' : kb(limit)}), ${kb(size.brotli)} min+brotli`,
  )
}

if (problems.length > 0) {
  for (const p of problems) console.error(`size:check FAILED: ${p}`)
  process.exit(1)
}
console.log(
  'size:check passed: within budget; SPA bundles without device-flow / token-exchange / Redis / node: code',
)
