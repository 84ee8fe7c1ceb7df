/**
 * The one "is this a JSON object" check of core (token responses, token sets, transactions,
 * JWT headers): an object that is neither `null` nor an array.
 *
 * @module
 */

/** Whether `value` is a non-null, non-array object. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
