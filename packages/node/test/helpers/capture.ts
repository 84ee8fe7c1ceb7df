/** A writable for `output` options that keeps what was written (`text`); a TTY when asked. */
export function capture(tty = false) {
  const chunks: string[] = []
  return {
    isTTY: tty,
    columns: 120,
    write(text: string) {
      chunks.push(text)
      return true
    },
    get text() {
      return chunks.join('')
    },
  }
}
