import { rollup } from 'rollup'
import esbuild from 'rollup-plugin-esbuild'
import { browserResolvePlugins, ENTRIES_DIR } from './bundle.ts'

/** Share of a bundle's code per package (or per openrp package). */
export interface BundleShare {
  source: string
  bytes: number
  share: number
}

function sourceOf(id: string): string {
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(id)
  if (pkg) return pkg[1]!
  const workspace = /\/packages\/([^/]+)\/src\//.exec(id)
  if (workspace) return `@openrp/${workspace[1]}`
  return 'entry'
}

/**
 * Where a bundle's bytes come from: the same build with every module minified one by one
 * (esbuild), then the tree-shaken length of each module summed per package. Approximate (no
 * cross-module mangling, no compression), for reading the size table, not for budgets.
 */
export async function bundleBreakdown(
  entry: string,
): Promise<{ packages: BundleShare[]; modules: BundleShare[] }> {
  const build = await rollup({
    input: new URL(entry, ENTRIES_DIR).pathname,
    onwarn() {},
    plugins: [
      ...browserResolvePlugins(),
      esbuild({ target: 'es2022', minify: true, include: /\.[cm]?[jt]s$/, exclude: [] }),
    ],
  })
  const { output } = await build.generate({ format: 'es', inlineDynamicImports: true })
  await build.close()
  const chunk = output[0]
  const bytes = new Map<string, number>()
  const modules = new Map<string, number>()
  for (const [id, mod] of Object.entries(chunk.modules)) {
    const source = sourceOf(id)
    bytes.set(source, (bytes.get(source) ?? 0) + mod.renderedLength)
    const file = /\/packages\/([^/]+\/src\/.+)$/.exec(id)
    if (file) modules.set(file[1]!, mod.renderedLength)
  }
  const total = [...bytes.values()].reduce((a, b) => a + b, 0)
  const shares = (m: Map<string, number>) =>
    [...m.entries()]
      .map(([source, n]) => ({ source, bytes: n, share: n / total }))
      .filter((s) => s.bytes > 0)
      .sort((a, b) => b.bytes - a.bytes)
  return { packages: shares(bytes), modules: shares(modules) }
}
