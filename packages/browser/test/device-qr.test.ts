// The default QR renderer loads `qrcode` on first use and returns an SVG document.
import { describe, expect, it } from 'vitest'
import { qrCodeSvg } from '../src/device-qr.ts'

describe('qrCodeSvg', () => {
  it('renders the text as a black-on-white SVG QR code', async () => {
    const svg = await qrCodeSvg('http://127.0.0.1:4000/device?user_code=BCDF-GHJK')
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 (\d+) \1"/)
    expect(svg).toContain('fill="#ffffff"')
    expect(svg).toContain('stroke="#000000"')
  })
})
