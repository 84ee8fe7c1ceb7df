/**
 * Loads an optional peer dependency on first use. `load` is the caller's own literal
 * `import('name')`, so bundlers still see which module is meant.
 *
 * @module
 */
import { DependencyMissingError, type OptionalDependency } from '../errors.ts'

/**
 * Runs `load()`; when the module itself cannot be found, rejects with DependencyMissingError
 * naming the package to install. Any other failure (a broken install, an error while the module
 * evaluates) is passed through unchanged.
 */
export async function loadOptional<T>(
  dependency: OptionalDependency,
  feature: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load()
  } catch (cause) {
    if (isNotFound(cause, dependency))
      throw new DependencyMissingError(dependency, feature, { cause })
    throw cause
  }
}

/** Node (`ERR_MODULE_NOT_FOUND`), Bun and Deno name the missing specifier in the message. */
function isNotFound(error: unknown, dependency: string): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  const notFound =
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /cannot find (module|package)|not found/i.test(error.message)
  return (
    notFound &&
    (error.message.includes(`'${dependency}'`) || error.message.includes(`"${dependency}"`))
  )
}
