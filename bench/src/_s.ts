import { bundleEntry, kb } from './size/bundle.ts'
const t = Date.now()
const s = await bundleEntry(process.argv[2] ?? 'openrp.ts')
console.log(
  kb(s.min),
  kb(s.gzip),
  kb(s.brotli),
  s.gzip,
  s.externals,
  s.forbidden,
  Date.now() - t,
  'ms',
)
