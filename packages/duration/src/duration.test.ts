import { describe, expect, it } from 'vitest'
import { parseDuration } from './duration.ts'

describe('parseDuration', () => {
  it('reads single and compound durations in milliseconds', () => {
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('1w')).toBe(604_800_000)
  })

  it('refuses anything else', () => {
    for (const text of ['', '30', 's', '1.5h', '5 m', 'soon']) expect(parseDuration(text)).toBeUndefined()
  })
})
