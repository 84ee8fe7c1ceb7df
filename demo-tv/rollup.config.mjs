// Bundles the demo TV app. Workspace packages are bundled from source through the
// "openrp-source" export condition, so the demo needs no package build first. `qrcode` is
// CommonJS (hence the commonjs plugin) and a dynamic import of @openrp/browser: it lands in a
// chunk of its own, loaded when the first code is shown.
import commonjs from '@rollup/plugin-commonjs'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import esbuild from 'rollup-plugin-esbuild'

export default {
  input: { main: 'src/main.ts' },
  output: {
    dir: 'dist/assets',
    format: 'es',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    sourcemap: true,
  },
  plugins: [
    nodeResolve({
      browser: true,
      exportConditions: ['openrp-source', 'browser', 'import', 'default'],
      extensions: ['.ts', '.mjs', '.js'],
      preferBuiltins: false,
    }),
    commonjs(),
    esbuild({ target: 'es2022', minify: true, tsconfig: 'tsconfig.json' }),
  ],
}
