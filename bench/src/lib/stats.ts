/** Median and range of a few runs: what every table in RESULTS.md prints. */
export interface Summary {
  median: number
  min: number
  max: number
  runs: number
  /** The values, in the order measured (round by round). */
  values: number[]
}

export function summarize(values: number[]): Summary {
  if (values.length === 0) throw new Error('no values to summarize')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return {
    median,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    runs: values.length,
    values: [...values],
  }
}

/**
 * The median of round-by-round ratios a[i] / b[i]. Subjects are measured interleaved, so a
 * ratio within one round sees the same machine load; on a busy machine this is steadier than
 * the ratio of two medians.
 */
export function medianRatio(a: Summary, b: Summary): number {
  const n = Math.min(a.values.length, b.values.length)
  if (n === 0) throw new Error('no rounds to compare')
  return summarize(a.values.slice(0, n).map((v, i) => v / b.values[i]!)).median
}

/**
 * Calls per second of `fn`, called back to back (awaited when it returns a promise) for about
 * `ms` milliseconds. Time is read once per batch so the clock does not dominate fast calls.
 */
export async function rate(fn: () => unknown, ms: number, batch = 200): Promise<number> {
  let calls = 0
  const start = performance.now()
  const end = start + ms
  let now = start
  while (now < end) {
    for (let i = 0; i < batch; i++) {
      const r = fn()
      if (r instanceof Promise) await r
    }
    calls += batch
    now = performance.now()
  }
  return (calls * 1000) / (now - start)
}

/**
 * Runs each subject's rate for `rounds` rounds, interleaved (A, B, C, A, B, C, ...) so drift in
 * machine load hits every subject alike; a warm-up round comes first and is discarded.
 */
export async function compareRates(
  subjects: Record<string, () => unknown>,
  { rounds = 5, ms = 500, warmupMs = 300 } = {},
): Promise<Record<string, Summary>> {
  const results: Record<string, number[]> = {}
  for (const [name, fn] of Object.entries(subjects)) {
    await rate(fn, warmupMs)
    results[name] = []
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(subjects)) results[name]!.push(await rate(fn, ms))
  }
  return Object.fromEntries(Object.entries(results).map(([k, v]) => [k, summarize(v)]))
}
