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
  return summarize(roundRatios(a, b)).median
}

/** The ratios a[i] / b[i] of rounds measured side by side. */
function roundRatios(a: Summary, b: Summary): number[] {
  const n = Math.min(a.values.length, b.values.length)
  if (n === 0) throw new Error('no rounds to compare')
  return a.values.slice(0, n).map((v, i) => v / b.values[i]!)
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
    await callRepeatedly(fn, batch)
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

/** The CPU time this process has used so far, in microseconds (user + system, every thread). */
function cpuMicros(): number {
  const { user, system } = process.cpuUsage()
  return user + system
}

/** `calls` calls of `fn` back to back (awaited when it returns a promise). */
async function callRepeatedly(fn: () => unknown, calls: number): Promise<void> {
  for (let i = 0; i < calls; i++) {
    const r = fn()
    if (r instanceof Promise) await r
  }
}

/**
 * Calls per CPU-second of each subject, measured in the same process: CPU time
 * (`process.cpuUsage()`, user + system of every thread, so WebCrypto's thread-pool work and
 * garbage collection count) is far less disturbed by other processes on a shared machine than
 * wall time, which also counts the time the process waited for a core.
 *
 * Each subject first runs for `warmupMs` (discarded, in three passes over all subjects), then
 * 7 batches of 10 calls size its rounds: a round makes as many calls as take about `roundMs` of
 * CPU, the same count in every round.
 * Rounds are interleaved, each in a new random order (seeded, so runs repeat it): drift in the
 * machine hits every subject alike, and every subject follows each other one (whose garbage and
 * cache state it inherits) and itself equally often. A fixed or alternating order does not: in
 * A B C, C B A, ... A and C follow themselves at the round boundaries, and a subject that
 * follows itself runs a few per cent faster. Short rounds (a few ms) put the subjects compared
 * side by side under the same load; many of them make the median ratio steady. (No forced full
 * collection between rounds: its sweeping goes on in helper threads and would be counted in the
 * next subject's round.) The {@link Summary} values are per round, in order, so
 * {@link medianRatio} pairs rounds measured side by side. Wall time is recorded in the same
 * rounds, for comparison.
 */
export async function compareCpuRates(
  subjects: Record<string, () => unknown>,
  { rounds = 301, roundMs = 5, warmupMs = 500, seed = 1 } = {},
): Promise<CpuComparison> {
  const entries = Object.entries(subjects)
  const calls = new Map<string, number>()
  // Warm-up in three passes over all subjects: code compiled for one subject may be compiled
  // again once another has run, and compiling (in helper threads) counts as CPU time too.
  for (let pass = 0; pass < 3; pass++) {
    for (const [, fn] of entries) {
      const end = performance.now() + warmupMs / 3
      while (performance.now() < end) await callRepeatedly(fn, 10)
    }
  }
  for (const [name, fn] of entries) {
    // Sized once warm (the warm-up's first calls compile), by the median of 7 batches: one
    // batch that meets a garbage collection would make every round too short.
    const batches: number[] = []
    for (let b = 0; b < 7; b++) {
      const cpuStart = cpuMicros()
      await callRepeatedly(fn, 10)
      batches.push((cpuMicros() - cpuStart) / 10)
    }
    const perCallMicros = summarize(batches).median
    calls.set(name, Math.max(5, Math.round((roundMs * 1000) / perCallMicros)))
  }
  const cpu: Record<string, number[]> = Object.fromEntries(entries.map(([n]) => [n, []]))
  const wall: Record<string, number[]> = Object.fromEntries(entries.map(([n]) => [n, []]))
  const random = seededRandom(seed)
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of shuffled(entries, random)) {
      const n = calls.get(name)!
      const wallStart = performance.now()
      const cpuStart = cpuMicros()
      await callRepeatedly(fn, n)
      cpu[name]!.push((n * 1e6) / (cpuMicros() - cpuStart))
      wall[name]!.push((n * 1000) / (performance.now() - wallStart))
    }
  }
  const summaries = (values: Record<string, number[]>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, summarize(v)]))
  return { cpu: summaries(cpu), wall: summaries(wall), callsPerRound: Object.fromEntries(calls) }
}

/** What {@link compareCpuRates} measured, round by round, per subject. */
export interface CpuComparison {
  /** Calls per CPU-second. */
  cpu: Record<string, Summary>
  /** Calls per second of wall time, in the same rounds. */
  wall: Record<string, Summary>
  /** The calls each subject made per round. */
  callsPerRound: Record<string, number>
}

/**
 * The rounds of several processes' {@link compareCpuRates} as one comparison: each subject's
 * rounds one after the other, in the same process order for every subject, so round-by-round
 * ratios still pair rounds measured side by side. Each process compiles the code its own way
 * (a few per cent apart on the same machine): pooled rounds of several processes average that
 * out, which more rounds in one process cannot.
 */
export function poolComparisons(runs: CpuComparison[]): CpuComparison {
  const pool = (pick: (run: CpuComparison) => Record<string, Summary>) =>
    Object.fromEntries(
      Object.keys(pick(runs[0]!)).map((name) => [
        name,
        summarize(runs.flatMap((run) => pick(run)[name]!.values)),
      ]),
    )
  return {
    cpu: pool((run) => run.cpu),
    wall: pool((run) => run.wall),
    callsPerRound: runs[0]!.callsPerRound,
  }
}

/**
 * The quartiles of round-by-round ratios a[i] / b[i] (see {@link medianRatio}): how far single
 * rounds scatter around the median ratio.
 */
export function ratioQuartiles(a: Summary, b: Summary): { q1: number; median: number; q3: number } {
  const ratios = roundRatios(a, b).sort((x, y) => x - y)
  const at = (q: number) => ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))]!
  return { q1: at(0.25), median: summarize(ratios).median, q3: at(0.75) }
}

/** `items` in a random order (Fisher–Yates). */
function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/** A small deterministic PRNG (mulberry32) in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
