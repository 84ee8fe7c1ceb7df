import { describe, expect, it } from 'vitest'
import { bufferedResponse } from '../src/internal/buffered-response.ts'

const utf8 = new TextEncoder()

function make(body: string, init: ResponseInit & { url?: string } = {}): Response {
  const from = new Response(null, {
    status: init.status ?? 200,
    statusText: init.statusText ?? 'OK',
    headers: init.headers ?? { 'content-type': 'application/json', 'x-trace': 'a1' },
  })
  return bufferedResponse(utf8.encode(body), from, init.url ?? 'https://op.example/token')
}

describe('BufferedResponse', () => {
  it('is a Response with the original status, headers and url', () => {
    const res = make('{}', { status: 400, statusText: 'Bad Request' })
    expect(res).toBeInstanceOf(Response)
    expect(Object.prototype.toString.call(res)).toBe('[object Response]')
    expect(res.status).toBe(400)
    expect(res.statusText).toBe('Bad Request')
    expect(res.ok).toBe(false)
    expect(res.headers.get('x-trace')).toBe('a1')
    expect(res.url).toBe('https://op.example/token')
  })

  it('serves json(), text(), arrayBuffer() and bytes() from memory, once', async () => {
    const body = '{"access_token":"é","n":1}'
    expect(await make(body).json()).toEqual({ access_token: 'é', n: 1 })
    expect(await make(body).text()).toBe(body)
    expect(new TextDecoder().decode(await make(body).arrayBuffer())).toBe(body)
    expect(new TextDecoder().decode(await make(body).bytes())).toBe(body)
    const res = make(body)
    expect(res.bodyUsed).toBe(false)
    await res.text()
    expect(res.bodyUsed).toBe(true)
    await expect(res.json()).rejects.toBeInstanceOf(TypeError)
    expect(() => res.clone()).toThrow(TypeError)
  })

  it('peekText leaves the body unread, and gives the bytes again after the body was consumed', async () => {
    // The refresh path reads a rotated refresh token from a 200 that failed other checks.
    const body = '{"refresh_token":"r2","n":1}'
    const res = make(body) as Response & { peekText(): string }
    expect(res.peekText()).toBe(body)
    expect(res.bodyUsed).toBe(false)
    expect(await res.json()).toEqual({ refresh_token: 'r2', n: 1 })
    expect(res.peekText()).toBe(body)
  })

  it('rejects json() on a body that is not JSON, like Response.json()', async () => {
    await expect(make('<html>').json()).rejects.toBeInstanceOf(SyntaxError)
  })

  it('hands out copies: a caller mutating its ArrayBuffer cannot change what openrp reads', async () => {
    const res = make('{"a":1}')
    const copy = res.clone()
    const bytes = new Uint8Array(await res.arrayBuffer())
    bytes.fill(0x20)
    expect(await copy.json()).toEqual({ a: 1 })
  })

  it('clones into an independent readable copy', async () => {
    const res = make('{"a":1}')
    const copy = res.clone()
    expect(await res.json()).toEqual({ a: 1 })
    expect(await copy.json()).toEqual({ a: 1 })
    expect(copy.status).toBe(200)
  })

  it('streams the same bytes through body, and then counts as used', async () => {
    const res = make('{"a":1}')
    const body = res.body
    expect(body).toBeInstanceOf(ReadableStream)
    expect(await new Response(body).text()).toBe('{"a":1}')
    expect(res.bodyUsed).toBe(true)
    await expect(res.text()).rejects.toBeInstanceOf(TypeError)
  })

  it('answers blob() and formData() through a real Response', async () => {
    expect(await (await make('hello').blob()).text()).toBe('hello')
    const form = await make('a=1&b=two', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }).formData()
    expect(form.get('b')).toBe('two')
  })

  it('has a null body for 204 and a failing body once read', async () => {
    const empty = make('', { status: 204 })
    expect(empty.body).toBeNull()
    const res = make('{"a":1}')
    await res.json()
    await expect(res.blob()).rejects.toBeInstanceOf(TypeError)
  })
})
