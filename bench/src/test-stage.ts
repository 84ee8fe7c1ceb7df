/**
 * The vitest stage of the README's test command (`pnpm exec vitest run` after `pnpm run build`,
 * as scripts/test.sh runs it), timed in this checkout and in a checkout of an earlier commit,
 * round by round in turns, so both see the same machine.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './lib/build.ts'
import { type Summary, summarize } from './lib/stats.ts'

/**
 * The tree on which issue 14 measured the stage at 85 s: the last commit before the refresh
 * coordinator, the injected clock and the test-suite work.
 */
export const TEST_STAGE_BASELINE = '8c1fa9d3ca3cb5ed7cee22bef539a4a27f8ca20b'

export interface TestStageRun {
  seconds: number
  passed: number
  failed: number
  files: number
}

export interface TestStageResult {
  name: string
  commit: string
  runs: TestStageRun[]
  seconds: Summary
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${result.stderr}`)
  }
  return result.stdout.trim()
}

/** One run of the stage; its wall time includes starting vitest, as in the test command. */
function timeStage(cwd: string): TestStageRun {
  const report = join(cwd, '.cache', 'bench-test-stage.json')
  const started = performance.now()
  rmSync(report, { force: true })
  const result = spawnSync(
    'pnpm',
    ['exec', 'vitest', 'run', '--reporter=json', `--outputFile=${report}`],
    {
      cwd,
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    },
  )
  const seconds = (performance.now() - started) / 1000
  // Failed tests still write the report (counted below); a vitest that could not run writes none.
  if (!existsSync(report)) {
    throw new Error(
      `vitest wrote no report in ${cwd} (exit ${result.status}):\n${result.stderr.slice(-2000)}`,
    )
  }
  const json = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number
    numFailedTests: number
    testResults: unknown[]
  }
  rmSync(report, { force: true })
  return {
    seconds,
    passed: json.numPassedTests,
    failed: json.numFailedTests,
    files: json.testResults.length,
  }
}

/**
 * `rounds` runs of the stage in each checkout, alternating, after one warm-up run each (not
 * counted). The baseline is checked out in a temporary git worktree, installed from the pnpm
 * store and built; the worktree is removed afterwards.
 */
export function measureTestStage(
  rounds: number,
  log: (line: string) => void,
): { current: TestStageResult; baseline: TestStageResult } {
  const dir = mkdtempSync(join(tmpdir(), 'openrp-baseline-'))
  try {
    log(`  checking out ${TEST_STAGE_BASELINE.slice(0, 7)}, installing and building it`)
    run('git', ['worktree', 'add', '--detach', dir, TEST_STAGE_BASELINE], ROOT)
    run('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], dir)
    run('pnpm', ['run', 'build'], dir)
    log('  building this checkout')
    run('pnpm', ['run', 'build'], ROOT)
    const checkouts = [
      { name: 'this checkout', cwd: ROOT, commit: run('git', ['rev-parse', 'HEAD'], ROOT) },
      { name: 'baseline', cwd: dir, commit: TEST_STAGE_BASELINE },
    ]
    const runs = checkouts.map(() => [] as TestStageRun[])
    for (let round = 0; round <= rounds; round++) {
      checkouts.forEach((checkout, i) => {
        const result = timeStage(checkout.cwd)
        log(
          `  ${round === 0 ? 'warm-up' : `round ${round}`}, ${checkout.name}: ${result.seconds.toFixed(1)} s, ${result.passed} passed, ${result.failed} failed`,
        )
        if (round > 0) runs[i]!.push(result)
      })
    }
    const [current, baseline] = checkouts.map((checkout, i) => ({
      name: checkout.name,
      commit: checkout.commit,
      runs: runs[i]!,
      seconds: summarize(runs[i]!.map((r) => r.seconds)),
    }))
    return { current: current!, baseline: baseline! }
  } finally {
    spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' })
    rmSync(dir, { recursive: true, force: true })
  }
}
