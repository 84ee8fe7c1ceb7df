import QRCode from 'qrcode'
import { describe, expect, it } from 'vitest'
import {
  createQrCode,
  formatCountdown,
  formatDevicePrompt,
  formatDeviceStatus,
} from '../src/device-prompt.ts'

const uriComplete = 'http://127.0.0.1:4000/device?user_code=WDJB-MJHT'

describe('createQrCode', () => {
  it('draws the terminal form with ANSI colours by default, and plain text on request', async () => {
    const coloured = await createQrCode(uriComplete)
    expect(coloured.terminal).toContain('\x1b[47m')
    const plain = await createQrCode(uriComplete, { ansi: false })
    expect(plain.terminal).not.toContain('\x1b')
    expect(plain.terminal).toMatch(/[█▀▄]/)
    const rows = plain.terminal.trimEnd().split('\n')
    // Square: half-block rows are half as many as columns (give or take the odd margin row).
    const width = [...(rows[0] ?? '')].length
    expect(rows.every((row) => [...row].length === width)).toBe(true)
    expect(Math.abs(rows.length * 2 - width)).toBeLessThanOrEqual(2)
  })

  it('the plain terminal form carries exactly the modules of the QR code of the text', async () => {
    const { terminal } = await createQrCode(uriComplete, { ansi: false })
    const { size, data } = QRCode.create(uriComplete, { errorCorrectionLevel: 'L' }).modules
    // Plain form: light modules are drawn (lit like paper), two modules per character row,
    // with a quiet zone of one character row and two columns.
    const darkPairs: Record<string, [boolean, boolean]> = {
      ' ': [true, true],
      '▄': [true, false],
      '▀': [false, true],
      '█': [false, false],
    }
    const rows = terminal.trimEnd().split('\n').slice(1, -1)
    expect(rows.length).toBe(Math.ceil(size / 2))
    rows.forEach((row, r) => {
      const cells = [...row].slice(2, 2 + size)
      cells.forEach((cell, c) => {
        const [top, bottom] = darkPairs[cell] ?? [undefined, undefined]
        expect(top).toBe(data[2 * r * size + c] === 1)
        if (2 * r + 1 < size) expect(bottom).toBe(data[(2 * r + 1) * size + c] === 1)
      })
    })
  })

  it('gives a standalone SVG document', async () => {
    const { svg } = await createQrCode(uriComplete)
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"')
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true)
  })

  it('encodes different text differently', async () => {
    const a = await createQrCode(uriComplete, { ansi: false })
    const b = await createQrCode(`${uriComplete}X`, { ansi: false })
    expect(a.terminal).not.toBe(b.terminal)
  })
})

describe('formatCountdown', () => {
  it.each([
    [0, '0:00'],
    [-3, '0:00'],
    [9, '0:09'],
    [59.2, '1:00'],
    [272, '4:32'],
    [3600, '1:00:00'],
    [3725, '1:02:05'],
  ])('%s s -> %s', (seconds, text) => {
    expect(formatCountdown(seconds)).toBe(text)
  })
})

describe('formatDevicePrompt', () => {
  it('names the URI and the user code, and includes the QR code when there is a complete URI', () => {
    const text = formatDevicePrompt({
      verificationUri: 'http://127.0.0.1:4000/device',
      verificationUriComplete: uriComplete,
      userCode: 'WDJB-MJHT',
      qr: 'QR-BLOCK\n',
    })
    expect(text).toContain('http://127.0.0.1:4000/device')
    expect(text).toContain('WDJB-MJHT')
    expect(text).toContain('QR-BLOCK')
    expect(text).not.toContain('Continuing')
  })

  it('leaves the QR code out without a complete URI, and says when it resumes', () => {
    const text = formatDevicePrompt({
      verificationUri: 'http://127.0.0.1:4000/device',
      userCode: 'WDJB-MJHT',
      qr: 'QR-BLOCK',
      resumed: true,
    })
    expect(text).not.toContain('QR-BLOCK')
    expect(text).toContain('Continuing')
  })
})

describe('formatDeviceStatus', () => {
  it('shows the countdown and the interval while waiting, and the new interval on slow_down', () => {
    const waiting = formatDeviceStatus({
      state: 'waiting',
      secondsLeft: 272,
      interval: 5,
      polls: 2,
    })
    expect(waiting).toContain('4:32')
    expect(waiting).toContain('every 5 s')
    const slow = formatDeviceStatus({ state: 'slow_down', secondsLeft: 60, interval: 10, polls: 3 })
    expect(slow).toContain('slow down')
    expect(slow).toContain('every 10 s')
    expect(slow).toContain('1:00')
  })

  it('says when it retries after a provider failure', () => {
    const text = formatDeviceStatus({ state: 'retrying', secondsLeft: 30, interval: 20, polls: 4 })
    expect(text).toContain('trying again in 20 s')
    expect(text).toContain('0:30')
  })

  it('has a distinct line for each end state', () => {
    const ends = (['approved', 'denied', 'expired', 'cancelled'] as const).map((state) =>
      formatDeviceStatus({ state, secondsLeft: 0, interval: 5, polls: 1 }),
    )
    expect(new Set(ends).size).toBe(4)
  })
})
