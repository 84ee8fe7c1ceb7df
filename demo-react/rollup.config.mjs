// Bundles the React demo with rollup, the way a React app without a framework is bundled:
// node-resolve (browser), CommonJS (React ships CommonJS), NODE_ENV replaced, esbuild for
// TypeScript and JSX. `production` (minified, React's production build) goes to
// dist/production, `development` (React's development build: StrictMode's double effects and
// renders) to dist/development. Workspace packages are bundled from source ("openrp-source").
import commonjs from '@rollup/plugin-commonjs'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import replace from '@rollup/plugin-replace'
import esbuild from 'rollup-plugin-esbuild'
import { join } from 'node:path'

// Absolute paths: the e2e setup builds from another working directory.
const here = import.meta.dirname

/** @param {'production' | 'development'} mode */
export function demoConfig(mode) {
  return {
    input: {
      main: join(here, 'src/main.tsx'),
      'popup-callback': join(here, 'src/popup-callback.ts'),
      'silent-callback': join(here, 'src/silent-callback.ts'),
    },
    output: {
      dir: join(here, 'dist', mode, 'assets'),
      format: 'es',
      entryFileNames: '[name].js',
      chunkFileNames: '[name]-[hash].js',
      sourcemap: false,
    },
    onwarn(warning, warn) {
      // React's sources carry "use client" directives; a bundle for the browser drops them.
      if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning)
    },
    plugins: [
      replace({
        preventAssignment: true,
        values: { 'process.env.NODE_ENV': JSON.stringify(mode) },
      }),
      nodeResolve({
        browser: true,
        exportConditions: ['openrp-source', 'browser', mode, 'import', 'default'],
        extensions: ['.tsx', '.ts', '.mjs', '.js'],
      }),
      commonjs(),
      esbuild({
        target: 'es2022',
        minify: mode === 'production',
        jsx: 'automatic',
        tsconfig: join(here, 'tsconfig.json'),
      }),
    ],
  }
}

export default demoConfig(process.env.NODE_ENV === 'development' ? 'development' : 'production')
