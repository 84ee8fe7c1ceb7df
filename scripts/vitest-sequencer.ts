import { relative } from 'node:path'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * Test files whose time is mostly waiting (a fleet of member processes, Redis failovers, the
 * bench's fault runs with their fixed durations, searches over many generated cases), slowest
 * first. Vitest queues files project by project, so these runtime files would start only after
 * every protocol file: their waits then made the end of the run. Started first, they wait while
 * the other files use the cores (longest first, the usual way to make a schedule short).
 */
const LONG_FILES = [
  'bench/test/refresh-faults.test.ts',
  'packages/node/test/redis-deployments-fleet.test.ts',
  'packages/node/test/redis-deployments.test.ts',
  'packages/core/test/security/fuzz.test.ts',
  'packages/core/test/security/rp-id-token.test.ts',
  'packages/node/test/client-credentials-cache-bounded.test.ts',
  'packages/core/test/fuzz.test.ts',
  'packages/node/test/client-credentials-provider.fleet.test.ts',
]

/** The project whose files run in a worker of their own (vitest.config.ts). */
const PROCESS_WIDE_PROJECT = 'process-wide'

/**
 * Vitest's own order (failed first, then longest first from its cache), long files first, and the
 * process-wide project's files together right after the first two long files.
 *
 * Vitest keeps a worker for the next file only when that file belongs to the same project; when
 * the next file belongs to another, it ends the worker, and a new one loads every module again.
 * So the process-wide files run early and one after another, while the first long files wait, and
 * never come between the shared files later on.
 */
export default class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const rank = (spec: TestSpecification) => {
      if (spec.project.name === PROCESS_WIDE_PROJECT) return 1.5
      const path = relative(this.ctx.config.root, spec.moduleId).replaceAll('\\', '/')
      const index = LONG_FILES.indexOf(path)
      return index === -1 ? LONG_FILES.length : index
    }
    // A stable sort: every other file keeps Vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b))
  }
}
