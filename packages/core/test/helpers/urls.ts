import fc from 'fast-check'

const UNRESERVED = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~']
const SUB_DELIMS_AND_COLON_AT = [..."!$&'()*+,;=:@"]
const hex = (byte: number) => byte.toString(16).toUpperCase().padStart(2, '0')

/** One RFC 3986 `pchar`: unreserved, a sub-delimiter, `:` or `@`, or any percent-encoded byte. */
const pchar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...UNRESERVED) },
  fc.constantFrom(...SUB_DELIMS_AND_COLON_AT),
  fc.integer({ min: 0, max: 255 }).map((byte) => `%${hex(byte)}`),
)
const segment = fc.string({ unit: pchar })

/**
 * Random http(s) URLs with a port, path, query parameters and fragment now and then, for the
 * fuzzers. The same shapes as fast-check's `webUrl({ withQueryParameters: true, withFragments:
 * true })`, with any percent-encoded byte (also ones that are not UTF-8), built in milliseconds:
 * `webUrl` maps every Unicode code point to its percent-encoding when it is built (1.6 s of CPU
 * in each worker that builds it).
 */
export const webUrl = fc
  .record({
    scheme: fc.constantFrom('http', 'https'),
    host: fc.domain(),
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    path: fc.array(segment, { maxLength: 5 }),
    query: fc.option(fc.array(fc.tuple(segment, segment), { maxLength: 4 }), { nil: undefined }),
    fragment: fc.option(segment, { nil: undefined }),
  })
  .map(({ scheme, host, port, path, query, fragment }) => {
    const authority = port === undefined ? host : `${host}:${port}`
    const search = query === undefined ? '' : `?${query.map(([k, v]) => `${k}=${v}`).join('&')}`
    const hash = fragment === undefined ? '' : `#${fragment}`
    return `${scheme}://${authority}/${path.join('/')}${search}${hash}`
  })
