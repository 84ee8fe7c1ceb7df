/**
 * Errors specific to `@openrp/node`. Like every openrp error, each carries a stable `code`.
 *
 * @module
 */
import { OpenRpError } from '@openrp/core'

/** The optional peer dependencies `@openrp/node` loads on first use. */
export type OptionalDependency = 'redis' | 'qrcode' | 'undici'

/**
 * A feature needs an optional peer dependency that is not installed (code
 * `DEPENDENCY_MISSING`): `redis` for RedisStore and RedisLock, `qrcode` for QR codes in
 * `deviceLogin` / `createQrCode`, `undici` for `mtlsFetch`. Install the package named in
 * `dependency` next to `@openrp/node`.
 *
 * @example
 * ```ts
 * import { isOpenRpError } from '@openrp/core'
 * try {
 *   await store.get('session')
 * } catch (error) {
 *   if (isOpenRpError(error, 'DEPENDENCY_MISSING')) console.error(error.message) // "npm install redis"
 * }
 * ```
 */
export class DependencyMissingError extends OpenRpError<'DEPENDENCY_MISSING'> {
  /** The npm package to install. */
  declare readonly dependency: OptionalDependency
  declare readonly code: 'DEPENDENCY_MISSING'
  constructor(dependency: OptionalDependency, feature: string, options?: { cause?: unknown }) {
    super(
      'DEPENDENCY_MISSING',
      `${feature} needs the "${dependency}" package, which is not installed: npm install ${dependency}`,
      options,
    )
    this.dependency = dependency
  }
}
