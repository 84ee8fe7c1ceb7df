// parseAuthorizationResponse reads a full URL string as a URL (query, or fragment in fragment
// mode) and anything else as the parameters themselves.
import { describe, expect, it } from 'vitest'
import { parseAuthorizationResponse } from '../src/authorization-response.ts'

const entries = (input: unknown, mode?: 'query' | 'fragment') => [
  ...parseAuthorizationResponse(input, mode).entries(),
]

describe('parseAuthorizationResponse input', () => {
  it('reads the query or the fragment of a URL string and of a URL', () => {
    const url = 'https://app.test/cb?code=c&state=s#state=f&access_token=t'
    expect(entries(url)).toEqual([
      ['code', 'c'],
      ['state', 's'],
    ])
    expect(entries(url, 'fragment')).toEqual([
      ['state', 'f'],
      ['access_token', 't'],
    ])
    expect(entries(new URL(url), 'fragment')).toEqual(entries(url, 'fragment'))
    expect(entries(new URL(url))).toEqual(entries(url))
    expect(entries('com.example.app:/cb?code=c&state=s')).toEqual([
      ['code', 'c'],
      ['state', 's'],
    ])
  })

  it('reads a query or fragment string, with or without its ? or #, as the parameters', () => {
    for (const text of ['?code=c&state=s', '#code=c&state=s', 'code=c&state=s']) {
      expect(entries(text, 'fragment')).toEqual([
        ['code', 'c'],
        ['state', 's'],
      ])
    }
  })

  it('reads a string that is no absolute URL as parameters, even when it looks like one', () => {
    expect(entries('/cb?code=c')).toEqual([['/cb?code', 'c']])
    expect(entries(' https://app.test/cb?code=c')).toEqual([[' https://app.test/cb?code', 'c']])
  })

  it('refuses a URL without parameters in the expected part', () => {
    expect(() => parseAuthorizationResponse('https://app.test/cb#code=c', 'query')).toThrow(
      expect.objectContaining({ code: 'AUTHORIZATION_RESPONSE_INVALID' }),
    )
  })
})
