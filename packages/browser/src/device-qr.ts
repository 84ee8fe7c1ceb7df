/**
 * The QR code of a device flow's verification URI as an SVG string. The `qrcode` package is
 * imported on first use (a dynamic import), so an app that never shows a device code never
 * loads it, and an SPA bundle that does not import the device login does not contain it.
 *
 * @module
 */
import { OpenRpError } from '@openrp/core'

/**
 * Renders `text` as a QR code; resolves to an SVG document string.
 *
 * @example
 * ```ts
 * import QRCode from 'qrcode'
 * const qr: QrRenderer = (text) => QRCode.toString(text, { type: 'svg', margin: 2 })
 * const login = createDeviceLogin({ issuer, clientId: 'tv', qr })
 * ```
 */
export type QrRenderer = (text: string) => Promise<string>

/**
 * The default {@link QrRenderer}: `qrcode`'s SVG output (error correction level M, a 4-module
 * quiet zone as ISO/IEC 18004 asks, black on white whatever the page's colours). `qrcode` is an
 * optional peer dependency of `@openrp/browser`: install it to get QR codes. Rejects with
 * `UNSUPPORTED` when it is not installed.
 *
 * @example
 * ```ts
 * const svg = await qrCodeSvg('https://op.example.com/device?user_code=WDJB-MJHT')
 * element.innerHTML = svg
 * ```
 */
export const qrCodeSvg: QrRenderer = async (text) => {
  let render: (text: string, options: object) => Promise<string>
  try {
    const module = (await import('qrcode')) as {
      default?: { toString: typeof render }
      toString: typeof render
    }
    const qrcode = module.default ?? module
    render = qrcode.toString.bind(qrcode)
  } catch (cause) {
    throw new OpenRpError(
      'UNSUPPORTED',
      'QR codes need the "qrcode" package (npm install qrcode)',
      {
        cause,
      },
    )
  }
  return render(text, {
    type: 'svg',
    errorCorrectionLevel: 'M',
    margin: 4,
    color: { dark: '#000000ff', light: '#ffffffff' },
  })
}
