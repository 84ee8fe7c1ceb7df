/**
 * `pnpm --filter @openrp/bench run size:modules [entry]`: where the bytes of one entry's bundle
 * (default `openrp.ts`, from bench/size/entries/) come from: its min+gzip size as `size:check`
 * measures it, then every package and every openrp module with its share of the uncompressed
 * bundle ({@link bundleBreakdown}: approximate, each module minified alone). `pnpm bench` shows
 * only the ten largest modules; this shows them all, to find what a bundle carries.
 *
 * @example
 * ```sh
 * pnpm --filter @openrp/bench run size:modules openrp-spa-client.ts
 * ```
 */
import { bundleBreakdown } from './breakdown.ts'
import { bundleEntry, kb } from './bundle.ts'

const entry = process.argv[2] ?? 'openrp.ts'
const size = await bundleEntry(entry)
const breakdown = await bundleBreakdown(entry)
const row = (name: string, bytes: number, share: number) =>
  `${name.padEnd(48)} ${String(bytes).padStart(7)} ${(share * 100).toFixed(1).padStart(5)}%`
console.log(`${entry}: ${kb(size.min)} min, ${size.gzip} bytes min+gzip`)
console.log('\npackage (tree-shaken, minified alone)')
for (const p of breakdown.packages) console.log(row(p.source, p.bytes, p.share))
console.log('\nmodule')
for (const m of breakdown.modules) console.log(row(m.source, m.bytes, m.share))
