import { request } from 'node:http'
import { connect } from 'node:net'
import { isOpenRpError } from '@openrp/core'
import { ManualClock } from '@openrp/testkit'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type LoopbackListener, startLoopbackListener } from '../src/loopback-listener.ts'

let listener: LoopbackListener | undefined
afterEach(async () => {
  await listener?.close()
  listener = undefined
})

function rawGet(url: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function refusedConnection(url: string): Promise<boolean> {
  try {
    await fetch(url)
    return false
  } catch {
    return true
  }
}

describe('startLoopbackListener', () => {
  it('listens on 127.0.0.1 with an ephemeral port and an exact path', async () => {
    listener = await startLoopbackListener()
    const uri = new URL(listener.redirectUri)
    expect(uri.hostname).toBe('127.0.0.1')
    expect(Number(uri.port)).toBeGreaterThan(0)
    expect(uri.pathname).toBe('/callback')
    const other = await startLoopbackListener({ path: '/cb' })
    try {
      expect(new URL(other.redirectUri).port).not.toBe(uri.port)
    } finally {
      await other.close()
    }
  })

  it('resolves on the right state, answers the browser with a page, then closes', async () => {
    listener = await startLoopbackListener()
    const waiting = listener.waitForCallback({ state: 'st-123' })
    const browser = fetch(`${listener.redirectUri}?code=abc&state=st-123`)
    const callback = await waiting
    expect(callback.url.searchParams.get('code')).toBe('abc')
    await callback.respond({ ok: true })
    const res = await browser
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(await res.text()).toContain('signed in')
    expect(await refusedConnection(listener.redirectUri)).toBe(true)
  })

  it('shows a failure page when the app reports one', async () => {
    listener = await startLoopbackListener()
    const waiting = listener.waitForCallback({ state: 's' })
    const browser = fetch(`${listener.redirectUri}?error=access_denied&state=s`)
    const callback = await waiting
    await callback.respond({ ok: false, message: 'You declined <the> request.' })
    const res = await browser
    expect(res.status).toBe(400)
    const body = await res.text()
    expect(body).toContain('You declined &lt;the&gt; request.')
  })

  it('refuses a wrong or missing state, other paths, methods and hosts, and keeps waiting', async () => {
    listener = await startLoopbackListener()
    const { redirectUri } = listener
    let settled = false
    const waiting = listener.waitForCallback({ state: 'good-state' })
    void waiting.then(() => {
      settled = true
    })
    expect((await rawGet(`${redirectUri}?code=x&state=bad-state`)).status).toBe(400)
    expect((await rawGet(`${redirectUri}?code=x`)).status).toBe(400)
    expect((await rawGet(`${redirectUri}/extra?code=x&state=good-state`)).status).toBe(404)
    expect(
      (await rawGet(`${redirectUri.replace('/callback', '/CALLBACK')}?state=good-state`)).status,
    ).toBe(404)
    expect((await rawGet(`${redirectUri}?state=good-state`, {}, 'POST')).status).toBe(405)
    expect((await rawGet(`${redirectUri}?code=x&state=good-state`, {}, 'HEAD')).status).toBe(405)
    const port = new URL(redirectUri).port
    expect(
      (await rawGet(`${redirectUri}?state=good-state`, { host: `evil.example:${port}` })).status,
    ).toBe(421)
    expect(settled).toBe(false)
    const ok = fetch(`${redirectUri}?code=y&state=good-state`)
    const callback = await waiting
    expect(callback.url.searchParams.get('code')).toBe('y')
    await callback.respond({ ok: true })
    expect((await ok).status).toBe(200)
  })

  it('refuses callbacks before anyone waits', async () => {
    listener = await startLoopbackListener()
    expect((await rawGet(`${listener.redirectUri}?state=s`)).status).toBe(400)
  })

  it('times out with TIMEOUT on its clock and closes the port', async () => {
    const clock = new ManualClock()
    listener = await startLoopbackListener()
    let settled = false
    const waiting = listener
      .waitForCallback({ state: 's', timeoutMs: 150_000, clock })
      .catch((e) => {
        settled = true
        return e
      })
    await clock.advance(149_999)
    expect(settled).toBe(false)
    await clock.advance(1)
    expect(isOpenRpError(await waiting, 'TIMEOUT')).toBe(true)
    expect(await refusedConnection(listener.redirectUri)).toBe(true)
  })

  it('stops with ABORTED when the signal fires, answering a held browser request', async () => {
    listener = await startLoopbackListener()
    const controller = new AbortController()
    const waiting = listener.waitForCallback({ state: 's', signal: controller.signal })
    controller.abort()
    const error = await waiting.catch((e) => e)
    expect(isOpenRpError(error, 'ABORTED')).toBe(true)
    expect(await refusedConnection(listener.redirectUri)).toBe(true)

    const second = await startLoopbackListener()
    const waiting2 = second.waitForCallback({ state: 's' })
    const browser = fetch(`${second.redirectUri}?code=c&state=s`)
    await waiting2
    await second.close()
    expect((await browser).status).toBe(503)
  })

  it('close() ends a pending wait with ABORTED at once, long before its timeout', async () => {
    listener = await startLoopbackListener()
    // The clock never moves: only close() can end the wait.
    const clock = new ManualClock()
    const waiting = listener
      .waitForCallback({ state: 's', timeoutMs: 60_000, clock })
      .catch((e) => e)
    await listener.close()
    const error = await waiting
    expect(isOpenRpError(error, 'ABORTED')).toBe(true)
    expect(clock.pendingTimers).toBe(0)
  })

  it('respond() settles and closes the listener when the browser has already gone', async () => {
    listener = await startLoopbackListener()
    const { redirectUri } = listener
    const { host, port, pathname } = new URL(redirectUri)
    const sockets = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length
    const waiting = listener.waitForCallback({ state: 's' })
    // A browser tab closed while the app redeems the code: the request came, its socket went.
    const browser = connect(Number(port), '127.0.0.1', () => {
      browser.write(`GET ${pathname}?code=c&state=s HTTP/1.1\r\nHost: ${host}\r\n\r\n`)
    })
    const callback = await waiting
    // Both ends of the connection are open now; once both have closed, the server knows.
    const connected = sockets()
    browser.destroy()
    await vi.waitFor(() => expect(sockets()).toBeLessThanOrEqual(connected - 2), {
      timeout: 5_000,
      interval: 5,
    })
    await callback.respond({ ok: true })
    expect(await refusedConnection(redirectUri)).toBe(true)
  }, 10_000)

  it('rejects bad options with INVALID_ARGUMENT', async () => {
    await expect(startLoopbackListener({ host: 'localhost' as '127.0.0.1' })).rejects.toMatchObject(
      { code: 'INVALID_ARGUMENT' },
    )
    await expect(startLoopbackListener({ path: 'callback' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    // Paths a browser would request in another form (encoded, resolved), never matched.
    for (const path of ['/call back', '/a/../callback', '/é']) {
      await expect(startLoopbackListener({ path })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
    }
    listener = await startLoopbackListener()
    await expect(listener.waitForCallback({ state: '' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })

  it('a port in use is NETWORK_ERROR, with the system error as cause', async () => {
    listener = await startLoopbackListener()
    const port = Number(new URL(listener.redirectUri).port)
    const error = await startLoopbackListener({ port }).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'NetworkError', code: 'NETWORK_ERROR' })
    expect(isOpenRpError(error)).toBe(true)
    expect((error as Error).cause).toMatchObject({ code: 'EADDRINUSE' })
  })

  it('binds ::1 when asked', async () => {
    listener = await startLoopbackListener({ host: '::1' })
    expect(listener.redirectUri).toMatch(/^http:\/\/\[::1\]:\d+\/callback$/)
    const waiting = listener.waitForCallback({ state: 's6' })
    const browser = fetch(`${listener.redirectUri}?code=c&state=s6`)
    const callback = await waiting
    await callback.respond({ ok: true })
    expect((await browser).status).toBe(200)
  })
})
