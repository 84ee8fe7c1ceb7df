/**
 * Checks of numeric options, shared by every module that takes some: one wording, one code
 * (`INVALID_ARGUMENT`).
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.ts'

/**
 * `value` (the option `options.<name>`), or `fallback` when it is `undefined`; throws
 * InvalidArgumentError unless it is a finite number, 0 or more.
 */
export function nonNegative(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError(`options.${name} must be a non-negative number`)
  return value
}

/** {@link nonNegative}, and above 0. */
export function positive(value: unknown, name: string, fallback: number): number {
  const n = nonNegative(value, name, fallback)
  if (n === 0) throw new InvalidArgumentError(`options.${name} must be greater than 0`)
  return n
}
