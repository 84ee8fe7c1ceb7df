/// <reference types="node" />
/**
 * Bundles an entry the way an app's bundler would for the browser (esbuild, ESM, tree-shaken,
 * not minified, so strings and names stay searchable), with `./src/index.ts` resolving to the
 * core's sources. Tests use it to check that code an app does not import is left out.
 */
import { build } from 'esbuild'

export async function bundleForBrowser(contents: string): Promise<string> {
  const result = await build({
    stdin: { contents, resolveDir: new URL('../..', import.meta.url).pathname, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    minify: false,
    treeShaking: true,
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}
