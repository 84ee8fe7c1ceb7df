import type { Summary } from './stats.ts'

/** A Markdown table. */
export function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
}

/** 1234567 -> "1,234,567"; large rates rounded to three significant digits. */
export function num(n: number): string {
  if (!Number.isFinite(n)) return String(n)
  const digits = Math.floor(Math.log10(Math.abs(n) || 1)) + 1
  const rounded = digits > 3 ? Math.round(n / 10 ** (digits - 3)) * 10 ** (digits - 3) : n
  return rounded.toLocaleString('en-US', { maximumFractionDigits: digits > 2 ? 0 : 2 })
}

/** "1,230,000 (1,190,000–1,250,000)". */
export const withRange = (s: Summary, f: (n: number) => string = num) =>
  `${f(s.median)} (${f(s.min)}–${f(s.max)})`

/** "12.3x": a / b. */
export const ratio = (a: number, b: number): string => times(a / b)

/** 12.34 -> "12.3x". */
export function times(r: number): string {
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`
}

export const ms = (n: number) => `${n.toFixed(1)} ms`
