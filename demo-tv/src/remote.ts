/**
 * Remote-control navigation: the arrow keys move the focus to the nearest button in that
 * direction, Enter (the remote's OK key) presses it. No mouse needed.
 */

const ARROWS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
}

/** The buttons the user can reach now (on the visible screen). */
function focusables(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('button:not([disabled])')].filter(
    (el) => el.offsetParent !== null,
  )
}

function center(el: HTMLElement): { x: number; y: number } {
  const r = el.getBoundingClientRect()
  return { x: r.left + r.width / 2, y: r.top + r.height / 2 }
}

/** The nearest button whose centre lies in direction `[dx, dy]` from `from`'s. */
function nearest(from: HTMLElement, [dx, dy]: [number, number]): HTMLElement | undefined {
  const a = center(from)
  let best: { el: HTMLElement; score: number } | undefined
  for (const el of focusables()) {
    if (el === from) continue
    const b = center(el)
    const along = (b.x - a.x) * dx + (b.y - a.y) * dy
    if (along <= 1) continue
    const across = Math.abs((b.x - a.x) * dy) + Math.abs((b.y - a.y) * dx)
    const score = along + 2 * across
    if (!best || score < best.score) best = { el, score }
  }
  return best?.el
}

/** Focuses `preferred` if it is visible, else the first button on screen. */
export function focusFirst(preferred?: HTMLElement | null): void {
  const all = focusables()
  const target = preferred && all.includes(preferred) ? preferred : all[0]
  target?.focus({ focusVisible: true } as FocusOptions)
}

/** Installs the key handling; returns the function that removes it. */
export function installRemote(): () => void {
  const onKey = (event: KeyboardEvent) => {
    const direction = ARROWS[event.key]
    if (!direction) return
    event.preventDefault()
    const current = document.activeElement
    if (!(current instanceof HTMLElement) || !focusables().includes(current)) {
      focusFirst()
      return
    }
    nearest(current, direction)?.focus({ focusVisible: true } as FocusOptions)
  }
  document.addEventListener('keydown', onKey)
  return () => document.removeEventListener('keydown', onKey)
}
