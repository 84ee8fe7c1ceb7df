import { get } from 'node:https'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { _selfSignedWithNodeCrypto } from '../src/lib/cert.ts'
import {
  type CpuComparison,
  compareCpuRates,
  medianRatio,
  poolComparisons,
  ratioQuartiles,
  summarize,
} from '../src/lib/stats.ts'
import { FORBIDDEN_IN_SPA } from '../src/size/libraries.ts'

describe('summarize / medianRatio', () => {
  it('gives the median and range of odd and even counts', () => {
    expect(summarize([5, 1, 3])).toMatchObject({ median: 3, min: 1, max: 5, runs: 3 })
    expect(summarize([4, 1, 3, 2])).toMatchObject({ median: 2.5, min: 1, max: 4, runs: 4 })
  })

  it('refuses an empty list', () => {
    expect(() => summarize([])).toThrow(/no values/)
  })

  it('takes the median of round-by-round ratios, not the ratio of medians', () => {
    // Round 2 ran on a loaded machine: both subjects slowed down together.
    const a = summarize([100, 10, 100])
    const b = summarize([10, 1, 20])
    expect(medianRatio(a, b)).toBe(10)
    expect(a.median / b.median).toBe(10)
    expect(medianRatio(summarize([100, 10, 90]), summarize([10, 1, 30]))).toBe(10)
  })
})

describe('compareCpuRates / poolComparisons / ratioQuartiles', () => {
  it('measures every subject in every round, in an order that changes from round to round', async () => {
    const order: string[] = []
    const subjects = Object.fromEntries(
      ['a', 'b', 'c'].map((name) => [name, () => order.push(name)]),
    )
    const result = await compareCpuRates(subjects, { rounds: 6, roundMs: 0.01, warmupMs: 1 })
    for (const name of ['a', 'b', 'c']) {
      expect(result.cpu[name]!.runs).toBe(6)
      expect(result.wall[name]!.runs).toBe(6)
      expect(result.cpu[name]!.median).toBeGreaterThan(0)
    }
    // Each round calls each subject callsPerRound times in a row: read the rounds' orders back.
    const calls = result.callsPerRound
    const perRound = calls.a! + calls.b! + calls.c!
    const measured = order.slice(-6 * perRound)
    const rounds: string[] = []
    for (let at = 0; at < measured.length; ) {
      let round = ''
      for (let i = 0; i < 3; i++) {
        const name = measured[at]!
        expect(measured.slice(at, at + calls[name]!).every((n) => n === name)).toBe(true)
        round += name
        at += calls[name]!
      }
      expect([...round].sort().join('')).toBe('abc')
      rounds.push(round)
    }
    expect(rounds).toHaveLength(6)
    expect(new Set(rounds).size).toBeGreaterThan(1)
  })

  it('pools processes round by round and gives the quartiles of the ratios', () => {
    const run = (a: number[], b: number[]): CpuComparison => ({
      cpu: { a: summarize(a), b: summarize(b) },
      wall: { a: summarize(a), b: summarize(b) },
      callsPerRound: { a: 1, b: 1 },
    })
    const pooled = poolComparisons([run([2, 4], [1, 2]), run([30, 9], [10, 10])])
    expect(pooled.cpu.a!.values).toEqual([2, 4, 30, 9])
    expect(pooled.cpu.b!.values).toEqual([1, 2, 10, 10])
    // Ratios 2, 2, 3, 0.9: median 2, middle half 2 to 3.
    expect(ratioQuartiles(pooled.cpu.a!, pooled.cpu.b!)).toEqual({ q1: 2, median: 2, q3: 3 })
  })
})

describe('self-signed certificate without openssl', () => {
  it('is accepted by a TLS client that trusts it, for https://127.0.0.1', async () => {
    const { cert, key } = _selfSignedWithNodeCrypto()
    const server = createServer({ cert, key }, (_req, res) => res.end('ok'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    try {
      const body = await new Promise<string>((resolve, reject) => {
        get(`https://127.0.0.1:${port}/`, { ca: cert }, (res) => {
          let text = ''
          res.on('data', (d: Buffer) => {
            text += d
          })
          res.on('end', () => resolve(text))
        }).on('error', reject)
      })
      expect(body).toBe('ok')
    } finally {
      server.close()
    }
  })

  it('is refused by a client that does not trust it', async () => {
    const { cert, key } = _selfSignedWithNodeCrypto()
    const other = _selfSignedWithNodeCrypto()
    const server = createServer({ cert, key }, (_req, res) => res.end('ok'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    try {
      const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
        get(`https://127.0.0.1:${port}/`, { ca: other.cert }, () => {}).on('error', resolve)
      })
      expect(error.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT_SIGNATURE_FAILURE/)
    } finally {
      server.close()
    }
  })
})

describe('forbidden strings in the SPA bundle', () => {
  const hits = (code: string) =>
    FORBIDDEN_IN_SPA.filter((f) => f.pattern.test(code)).map((f) => f.label)

  it('spots other grants, Redis and node: imports', () => {
    expect(hits('x="urn:ietf:params:oauth:grant-type:device_code"')).toEqual(['device flow'])
    expect(hits('g="urn:ietf:params:oauth:grant-type:token-exchange"')).toEqual(['token exchange'])
    expect(hits('import{createClient}from"redis"')).toEqual(['Redis'])
    expect(hits('import"node:crypto"')).toEqual(['node: import'])
  })

  it('leaves ordinary SPA code alone', () => {
    expect(
      hits('fetch(t.token_endpoint,{body:"grant_type=refresh_token"});location.assign(u)'),
    ).toEqual([])
  })
})
