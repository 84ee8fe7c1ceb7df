/**
 * `pnpm --filter @openrp/bench run size:check`: bundles openrp's SPA entries exactly as
 * `pnpm bench` does and fails when min+gzip exceeds bench/size/budget.json, or when a bundle
 * carries code it must not (another grant, Redis, a `node:` import; the TV bundle may carry the
 * device flow). Deterministic: no timing.
 */
import { readFileSync } from 'node:fs'
import { bundleEntry, kb } from './bundle.ts'
import { OPENRP_BUNDLES } from './libraries.ts'
import { measureReactLayer, OPENRP_REACT, strayImports } from './react.ts'

/** Largest allowed min+gzip bytes per openrp entry file (bench/size/entries/). */
type Budget = Record<string, number>

const budgetUrl = new URL('../../size/budget.json', import.meta.url)
const budget = JSON.parse(readFileSync(budgetUrl, 'utf8')) as {
  gzipBytes: Budget
  /** Largest allowed min+gzip bytes a React layer adds over its core (bench/src/size/react.ts). */
  reactLayerGzipBytes: Budget
}
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

// The React layer: what @openrp/react adds over the same SpaClient, React itself not counted.
{
  const row = await measureReactLayer(OPENRP_REACT)
  const limit = budget.reactLayerGzipBytes?.[OPENRP_REACT.entry]
  if (limit === undefined) {
    problems.push(`bench/size/budget.json has no reactLayerGzipBytes["${OPENRP_REACT.entry}"]`)
  } else if (row.layer.gzip > limit) {
    problems.push(
      `the @openrp/react layer adds ${row.layer.gzip} bytes min+gzip over ${OPENRP_REACT.core}, over the budget of ${limit} bytes (bench/size/budget.json reactLayerGzipBytes). Find what grew or, if wanted, raise the budget in the same change and say why.`,
    )
  }
  for (const label of row.whole.forbidden) {
    problems.push(`${OPENRP_REACT.name} bundle contains ${label} code; it must be tree-shaken away`)
  }
  for (const external of strayImports(row)) {
    problems.push(`${OPENRP_REACT.name} bundle imports "${external}" from outside the bundle`)
  }
  console.log(
    `${OPENRP_REACT.name} layer: ${kb(row.layer.min)} min, ${kb(row.layer.gzip)} min+gzip over ${OPENRP_REACT.core} (budget ${limit === undefined ? 'none' : kb(limit)})`,
  )
}

if (problems.length > 0) {
  for (const p of problems) console.error(`size:check FAILED: ${p}`)
  process.exit(1)
}
console.log(
  'size:check passed: within budget; SPA bundles without device-flow / token-exchange / Redis / node: code',
)
