// @openrp/react's unit tests (packages/react/test) again with React 18: `pnpm --filter
// @openrp/react18-check test`. React, its JSX runtimes, the server renderer and the test
// renderer resolve to this package's React 18 (whose react-dom and test renderer use it too).
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import workspace from '../../vitest.config.ts'

const here = (path: string) => fileURLToPath(new URL(`./node_modules/${path}`, import.meta.url))

export default defineConfig({
  ...workspace,
  resolve: {
    ...workspace.resolve,
    alias: [
      { find: /^react$/, replacement: here('react/index.js') },
      { find: /^react\/jsx-runtime$/, replacement: here('react/jsx-runtime.js') },
      { find: /^react\/jsx-dev-runtime$/, replacement: here('react/jsx-dev-runtime.js') },
      { find: /^react-dom\/server$/, replacement: here('react-dom/server.node.js') },
      { find: /^react-test-renderer$/, replacement: here('react-test-renderer/index.js') },
    ],
  },
  test: {
    ...workspace.test,
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['packages/react/test/**/*.test.ts', 'internal/react18/*.test.ts'],
    // React 19.2's <Activity>, which React 18 does not have.
    exclude: ['packages/react/test/activity.test.ts'],
    // Only these files: not the workspace's projects, which would run every package's tests.
    projects: undefined,
  },
})
