import { defineConfig } from 'vitest/config'

// One runner for every package's unit and integration tests. Workspace packages resolve to
// their sources through the "openrp-source" export condition, so tests need no build.
export default defineConfig({
  resolve: { conditions: ['openrp-source', 'module', 'node', 'import', 'default'] },
  ssr: {
    resolve: {
      conditions: ['openrp-source', 'node', 'import', 'default'],
      externalConditions: ['openrp-source'],
    },
  },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'demo-node/test/**/*.test.ts',
      'bench/test/**/*.test.ts',
      'interop/test/**/*.test.ts',
    ],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most tests wait on real servers and timers rather than the CPU: run more files at once
    // than there are cores.
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS ?? 4),
  },
})
