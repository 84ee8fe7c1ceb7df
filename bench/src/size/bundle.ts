import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import commonjs from '@rollup/plugin-commonjs'
import json from '@rollup/plugin-json'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import replace from '@rollup/plugin-replace'
import terser from '@rollup/plugin-terser'
import { type Plugin, rollup } from 'rollup'
import esbuild from 'rollup-plugin-esbuild'
import { FORBIDDEN_IN_SPA } from './libraries.ts'

/** Where the entry files live. */
export const ENTRIES_DIR = new URL('../../size/entries/', import.meta.url)

/**
 * The resolution every size bundle shares: NODE_ENV=production, browser resolution with the
 * `openrp-source` condition first (openrp bundles from its TypeScript sources), CommonJS
 * interop and JSON. The caller adds its own esbuild step.
 */
export function browserResolvePlugins(): Plugin[] {
  return [
    replace({
      preventAssignment: true,
      values: { 'process.env.NODE_ENV': JSON.stringify('production') },
    }),
    nodeResolve({
      browser: true,
      exportConditions: ['openrp-source', 'browser', 'module', 'import', 'default'],
      extensions: ['.ts', '.mjs', '.js', '.json'],
      preferBuiltins: false,
    }),
    commonjs(),
    json(),
  ]
}

/** One bundle's bytes and what it imports from outside. */
export interface BundleSize {
  min: number
  gzip: number
  brotli: number
  /** Imports rollup could not resolve into the bundle (should be none). */
  externals: string[]
  /** Forbidden strings found (FORBIDDEN_IN_SPA labels). */
  forbidden: string[]
  code: string
}

/**
 * Bundles one entry the way every library is bundled here: rollup, browser resolution (the
 * `openrp-source` condition first, so openrp bundles from its TypeScript sources), CommonJS
 * interop, NODE_ENV=production, ESM output with dynamic imports inlined (all reachable code is
 * counted), minified by terser. Then gzip (level 9) and brotli (max quality). `external`
 * packages (e.g. React for the React layers) are left as imports and not counted.
 */
export async function bundleEntry(
  entry: string,
  options: { external?: readonly string[] } = {},
): Promise<BundleSize> {
  const warnings: string[] = []
  const external = options.external ?? []
  const build = await rollup({
    input: new URL(entry, ENTRIES_DIR).pathname,
    treeshake: true,
    // Packages every app of the kind already has (React for the React layers) stay imports.
    external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)),
    onwarn(warning) {
      warnings.push(warning.message)
    },
    plugins: [
      ...browserResolvePlugins(),
      esbuild({ target: 'es2022', minify: false, sourceMap: false }),
    ],
  })
  const { output } = await build.generate({
    format: 'es',
    inlineDynamicImports: true,
    plugins: [
      terser({
        ecma: 2020,
        module: true,
        compress: { passes: 2 },
        format: { comments: false },
      }),
    ],
  })
  await build.close()
  const chunk = output.find((o) => o.type === 'chunk')
  if (chunk?.type !== 'chunk') throw new Error(`no chunk for ${entry}`)
  const code = chunk.code
  const bytes = Buffer.from(code)
  return {
    min: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }).length,
    externals: [...chunk.imports, ...chunk.dynamicImports],
    forbidden: [
      ...new Set(FORBIDDEN_IN_SPA.filter((f) => f.pattern.test(code)).map((f) => f.label)),
    ],
    code,
  }
}

/** Bytes as KB with one decimal (1 KB = 1,000 bytes, as bundle-size tools print). */
export const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`
