import { flush, type ManualClock } from '@openrp/testkit'

/** Kinds of pending file-system requests in `process.getActiveResourcesInfo()`. */
const FILE_IO = /^(FSReq|CloseReq|FileHandle)/

/**
 * Lets the real file-system I/O that timers started finish (no request of this process is
 * pending), and the promise jobs that follow it run. Time on the manual clock stands still
 * meanwhile, so what a timer started completes at the time it fired.
 */
export async function settleIo(): Promise<void> {
  for (;;) {
    await flush(3)
    if (!process.getActiveResourcesInfo().some((r) => FILE_IO.test(r))) return
  }
}

/** Advances `clock` by `ms` in steps of `stepMs`, settling file I/O after each step. */
export async function advanceWithIo(clock: ManualClock, ms: number, stepMs = 10): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    await clock.advance(Math.min(stepMs, ms - done))
    await settleIo()
  }
}

/**
 * Advances `clock` in steps of `stepMs` until `work` settles, running `settle` after each step
 * (default: let file I/O finish; `flush` where the I/O is a socket's and nothing need wait for
 * it); at most `limitMs`, then fails. Resolves with how much clock time that took.
 */
export async function advanceUntilSettled(
  clock: ManualClock,
  work: Promise<unknown>,
  stepMs = 10,
  limitMs = 60_000,
  settle: () => Promise<void> = settleIo,
): Promise<number> {
  let settled = false
  work.then(
    () => (settled = true),
    () => (settled = true),
  )
  const start = clock.now()
  await settle()
  while (!settled) {
    if (clock.now() - start >= limitMs) throw new Error(`still pending after ${limitMs} ms`)
    await clock.advance(stepMs)
    await settle()
  }
  return clock.now() - start
}

/**
 * Waits for `work` (real HTTP and Redis I/O, and waits on `clock`): lets the I/O run for one
 * real event-loop turn, then moves `clock` on by `stepMs`, until `work` settles. Waits on the
 * clock (client retries, lock polls, backoff) thus pass without their real duration, while a
 * request in flight sees the clock move by at most `stepMs` per turn it takes. Resolves with
 * `work`'s outcome.
 */
export async function driveUntilSettled<T>(
  clock: ManualClock,
  work: Promise<T>,
  stepMs = 25,
): Promise<T> {
  let settled = false
  work.then(
    () => (settled = true),
    () => (settled = true),
  )
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1))
    await flush()
    if (settled) return work
    await clock.advance(stepMs)
  }
}
