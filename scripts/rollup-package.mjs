// Shared rollup setup: every package is built to ESM (dist/*.js) and bundled type declarations
// (dist/*.d.ts). Dependencies stay external; only the package's own modules are bundled.
import { builtinModules } from 'node:module'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import dts from 'rollup-plugin-dts'
import esbuild from 'rollup-plugin-esbuild'

/**
 * @param {string} dir package directory (import.meta.dirname of the caller)
 * @param {Record<string, string>} input entry name -> source file, e.g. { index: 'src/index.ts' }
 */
export function packageConfig(dir, input) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const deps = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })
  const external = (id) =>
    id.startsWith('node:') ||
    builtinModules.includes(id) ||
    deps.some((d) => id === d || id.startsWith(`${d}/`))
  const abs = Object.fromEntries(Object.entries(input).map(([k, v]) => [k, join(dir, v)]))
  return [
    {
      input: abs,
      external,
      plugins: [esbuild({ target: 'es2022', tsconfig: join(dir, 'tsconfig.json') })],
      output: {
        dir: join(dir, 'dist'),
        format: 'esm',
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
      },
    },
    {
      input: abs,
      external,
      plugins: [
        dts({
          tsconfig: join(dir, 'tsconfig.json'),
          compilerOptions: { customConditions: [], stripInternal: true },
        }),
      ],
      output: {
        dir: join(dir, 'dist'),
        format: 'esm',
        entryFileNames: '[name].d.ts',
        chunkFileNames: 'chunks/[name]-[hash].d.ts',
      },
    },
  ]
}
