/**
 * `pnpm --filter @openrp/bench run size:check`: bundles openrp's typical SPA entry exactly as
 * `pnpm bench` does and fails when min+gzip exceeds bench/size/budget.json, or when the bundle
 * carries code it must not (another grant, Redis, a `node:` import). Deterministic: no timing.
 */
import { readFileSync } from 'node:fs'
import { bundleEntry, kb } from './bundle.ts'
import { OPENRP } from './libraries.ts'

interface Budget {
  /** Largest allowed min+gzip bytes of bench/size/entries/openrp.ts. */
  openrpSpaGzipBytes: number
}

const budgetUrl = new URL('../../size/budget.json', import.meta.url)
const budget = JSON.parse(readFileSync(budgetUrl, 'utf8')) as Budget
const size = await bundleEntry(OPENRP.entry)
const problems: string[] = []

if (size.gzip > budget.openrpSpaGzipBytes) {
  problems.push(
    `openrp SPA bundle is ${size.gzip} bytes min+gzip, over the budget of ${budget.openrpSpaGzipBytes} bytes (bench/size/budget.json). Find what grew (a new import in @openrp/browser or @openrp/core?) or, if the growth is wanted, raise the budget in the same change and say why.`,
  )
}
for (const label of size.forbidden) {
  problems.push(`openrp SPA bundle contains ${label} code; it must be tree-shaken away`)
}
for (const external of size.externals) {
  problems.push(`openrp SPA bundle imports "${external}" from outside the bundle`)
}

console.log(
  `openrp SPA bundle: ${kb(size.min)} min, ${kb(size.gzip)} min+gzip (budget ${kb(budget.openrpSpaGzipBytes)}), ${kb(size.brotli)} min+brotli`,
)
if (problems.length > 0) {
  for (const p of problems) console.error(`size:check FAILED: ${p}`)
  process.exit(1)
}
console.log(
  'size:check passed: within budget, no device-flow / token-exchange / Redis / node: code',
)
