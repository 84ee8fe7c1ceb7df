// Bundles the demo SPA: one ESM entry per page. Workspace packages are bundled from source
// through the "openrp-source" export condition, so the demo needs no package build first.
import { nodeResolve } from '@rollup/plugin-node-resolve'
import esbuild from 'rollup-plugin-esbuild'

export default {
  input: {
    main: 'src/main.ts',
    'popup-callback': 'src/popup-callback.ts',
    'silent-callback': 'src/silent-callback.ts',
  },
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
    }),
    esbuild({ target: 'es2022', minify: true, tsconfig: 'tsconfig.json' }),
  ],
}
