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
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most tests wait on real servers and timers rather than the CPU: run more files at once
    // than there are cores.
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS ?? 4),
    projects: [
      {
        extends: true,
        test: {
          // Protocol tests touch no process-wide state (no globals, signals or fake timers):
          // their files share a worker's loaded modules instead of importing everything again
          // (importing was most of their time).
          name: 'protocol',
          include: [
            'packages/core/test/**/*.test.ts',
            'packages/reference-server/test/**/*.test.ts',
          ],
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          // These count timers, listen to signals, spawn and kill processes: one file per worker.
          name: 'runtime',
          include: [
            'packages/*/test/**/*.test.ts',
            'demo-node/test/**/*.test.ts',
            'bench/test/**/*.test.ts',
            'interop/test/**/*.test.ts',
          ],
          exclude: ['packages/core/test/**', 'packages/reference-server/test/**'],
        },
      },
    ],
  },
})
