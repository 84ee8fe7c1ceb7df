/** The run really uses React 18: every renderer and the package's own imports. */
import { version as react } from 'react'
import { version as server } from 'react-dom/server'
import { describe, expect, it } from 'vitest'

describe('the React 18 run', () => {
  it('resolves react and react-dom/server to 18', () => {
    expect(react).toMatch(/^18\./)
    expect(server).toMatch(/^18\./)
  })
})
