/**
 * Bundles the browser test pages (harness/pages/*.ts) with rollup, the way an app would bundle
 * openrp: workspace packages from their TypeScript sources (`openrp-source` condition), then the
 * `browser` builds of their dependencies. Each page is built on its own, so a page whose imports
 * do not exist yet fails alone: its error is kept next to the bundles and reported by the tests
 * that open it.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import { rollup } from 'rollup'
import esbuild from 'rollup-plugin-esbuild'

const e2eRoot = resolve(import.meta.dirname, '..')

/** The page bundles, by name (`<name>.ts` in harness/pages, served as `/<name>.html`). */
export const PAGES = ['core', 'lifecycle', 'stores'] as const
export type PageName = (typeof PAGES)[number]

/** Where the bundles land (gitignored). */
export const PAGES_DIR = join(e2eRoot, '.cache', 'pages')

/** Builds every page; returns the build errors by page name (empty when all built). */
export async function buildPages(): Promise<Partial<Record<PageName, string>>> {
  await mkdir(PAGES_DIR, { recursive: true })
  const errors: Partial<Record<PageName, string>> = {}
  await Promise.all(
    PAGES.map(async (name) => {
      const errorFile = join(PAGES_DIR, `${name}.error.txt`)
      await rm(errorFile, { force: true })
      try {
        await buildPage(name)
      } catch (error) {
        const text =
          error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)
        errors[name] = text
        await writeFile(errorFile, text)
      }
    }),
  )
  return errors
}

async function buildPage(name: PageName): Promise<void> {
  const bundle = await rollup({
    input: join(e2eRoot, 'harness', 'pages', `${name}.ts`),
    onwarn(warning, warn) {
      if (warning.code === 'CIRCULAR_DEPENDENCY') return
      warn(warning)
    },
    plugins: [
      nodeResolve({
        browser: true,
        exportConditions: ['openrp-source', 'browser', 'import', 'default'],
        extensions: ['.ts', '.mjs', '.js'],
      }),
      esbuild({ target: 'es2022', tsconfig: join(e2eRoot, 'tsconfig.json') }),
    ],
  })
  try {
    await bundle.write({
      file: join(PAGES_DIR, `${name}.js`),
      format: 'es',
      sourcemap: true,
      inlineDynamicImports: true,
    })
  } finally {
    await bundle.close()
  }
}

/** The build error of `name` from the last build, if it failed. */
export async function pageBuildError(name: PageName): Promise<string | undefined> {
  try {
    return await readFile(join(PAGES_DIR, `${name}.error.txt`), 'utf8')
  } catch {
    return undefined
  }
}
