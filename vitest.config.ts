import { defineConfig } from 'vitest/config'
import LongFilesFirst from './scripts/vitest-sequencer.ts'

const SHARED = [
  'packages/*/test/**/*.test.ts',
  'demo-node/test/**/*.test.ts',
  'bench/test/**/*.test.ts',
  'interop/test/**/*.test.ts',
]
const RUNTIME_ISOLATED = [
  // Counts SIGINT listeners and live timers of the process.
  'packages/node/test/device-login.test.ts',
  // Drive a manual clock while waiting for the process's pending file-system requests to end
  // (test/helpers/clock.ts settleIo).
  'packages/node/test/client-credentials-outage-backoff.test.ts',
  'packages/node/test/file-lock.test.ts',
  'packages/node/test/file-lock-lease.test.ts',
  'packages/node/test/refresh-outage-backoff.test.ts',
  // Fakes the global timers.
  'packages/core/test/system-clock.test.ts',
]

const REACT = ['packages/react/test/**/*.test.ts']

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
    sequence: { sequencer: LongFilesFirst },
    // Most tests wait on real servers and timers rather than the CPU: run more files at once
    // than there are cores. With files sharing workers, 3 beat 4 on 2 cores (less loading of
    // modules per worker, less contention) and 2 left cores idle while files waited.
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS ?? 3),
    // A larger young generation: workers that run many files allocate a lot of short-lived
    // objects (requests, JWTs, fast-check cases); with 32 MB semi-spaces instead of 16 MB, fewer
    // scavenges run (about 8% less CPU for the stage; 64 MB gained nothing more).
    execArgv: ['--max-semi-space-size=32'],
    projects: [
      {
        extends: true,
        test: {
          // Files that touch no process-wide state (no globals, signals or fake timers): real
          // servers, Redis and child processes on free ports, each closed by its own file. They
          // share a worker's loaded modules instead of importing everything again (importing was
          // most of their time). One project, so that a worker goes on to whichever file is next:
          // Vitest ends a shared worker when the next file in its queue belongs to another project.
          name: 'shared',
          include: SHARED,
          exclude: [...RUNTIME_ISOLATED, ...REACT],
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          // These count the process's timers, SIGINT listeners or pending file-system requests
          // (process.getActiveResourcesInfo()): what another file left running would count too.
          // They run in a worker of their own, one after another: each ends everything it starts.
          name: 'process-wide',
          include: RUNTIME_ISOLATED,
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          // React keeps its hooks dispatcher in module state that react-test-renderer and
          // react-dom/server both set: in a worker shared with other files, a server render once
          // found the test renderer's dispatcher in the React its components used ("Invalid
          // hook call"), depending on which files the worker had run before. Each React file
          // gets a fresh worker.
          name: 'react',
          include: REACT,
          isolate: true,
        },
      },
    ],
  },
})
