import { type RedisServer, startRedis } from '@openrp/testkit'
import { createClient } from 'redis'
import { afterAll, beforeAll } from 'vitest'

export interface RedisFixture {
  /** The real redis-server of this test file; stop and restart it to play an outage. */
  server: RedisServer
  /** A plain client on that server, to look behind the code under test. */
  raw: ReturnType<typeof createClient>
}

/**
 * Starts a real redis-server (and a plain client on it) before the tests of the calling file
 * and stops both after them. Read the fields inside tests, once `beforeAll` has run.
 */
export function useRedis(): RedisFixture {
  const fixture = {} as RedisFixture
  beforeAll(async () => {
    fixture.server = await startRedis()
    fixture.raw = createClient({ url: fixture.server.url })
    fixture.raw.on('error', () => {})
    await fixture.raw.connect()
  })
  afterAll(async () => {
    fixture.raw?.destroy()
    await fixture.server?.stop()
  })
  return fixture
}
