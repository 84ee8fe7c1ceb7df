import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useRedis } from './helpers/redis.ts'

const run = promisify(execFile)

describe('heavy dependencies load on first use, not on import', () => {
  const redis = useRedis()
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openrp-lazy-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('importing the package loads neither redis, qrcode nor undici; using them loads each', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--conditions=openrp-source',
        '--import',
        'tsx',
        join(import.meta.dirname, 'fixtures', 'lazy-import.ts'),
        join(dir, 'resolved.log'),
        redis.server.url,
      ],
      { timeout: 30_000 },
    )
    const seen = JSON.parse(stdout)
    expect(seen.afterImport).toEqual({ redis: false, qrcode: false, undici: false })
    expect(seen.afterConstruct).toEqual({ redis: false, qrcode: false, undici: false })
    // The recorder does see them once they are used, so the checks above can fail.
    expect(seen.afterQr).toEqual({ redis: false, qrcode: true, undici: false })
    expect(seen.afterRedis).toEqual({ redis: true, qrcode: true, undici: false })
    expect(seen.afterMtlsFetch).toEqual({ redis: true, qrcode: true, undici: false })
    expect(seen.afterMtlsRequest).toEqual({ redis: true, qrcode: true, undici: true })
    expect(seen.mtlsError).toBe('TypeError')
    expect(seen.qrHasSvg).toBe(true)
    expect(seen.value).toEqual({ ok: true })
    expect(await redis.raw.get('lazy-import:k')).not.toBeNull()
  })
})
