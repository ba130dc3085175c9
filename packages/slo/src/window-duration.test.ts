import { describe, expect, it } from 'vitest'
import { describeSpan, formatWindow, parseWindow } from './window-duration.ts'

describe('parseWindow', () => {
  it('reads minutes, hours, days and weeks into ms', () => {
    expect(['5m', '1h', '6h', '3d', '30d', '4w'].map(parseWindow)).toEqual([
      300_000, 3_600_000, 21_600_000, 259_200_000, 2_592_000_000, 2_419_200_000,
    ])
  })

  it('reads compound windows as the routing tree and rule files do', () => {
    expect(['1h30m', '1d12h'].map(parseWindow)).toEqual([5_400_000, 129_600_000])
  })

  it('refuses parts of a minute, zero, decimals, spaces and missing units', () => {
    expect(['30s', '90s', '0m', '1.5h', '30 d', '30', 'd', ''].map(parseWindow)).toEqual(
      Array(8).fill(undefined),
    )
  })
})

describe('formatWindow', () => {
  it('writes the largest unit that divides the window', () => {
    expect([300_000, 3_600_000, 5_400_000, 86_400_000, 2_592_000_000, 604_800_000].map(formatWindow)).toEqual(
      ['5m', '1h', '90m', '1d', '30d', '1w'],
    )
  })
})

describe('describeSpan', () => {
  it('writes a span in its two largest units, rounded down to the minute', () => {
    expect([0, 59_999, 29_000_000, 187_200_000, 2_592_000_000].map(describeSpan)).toEqual([
      '0m',
      '0m',
      '8h 3m',
      '2d 4h',
      '30d',
    ])
  })

  it('drops minutes after days rather than skipping the hours between', () => {
    expect(describeSpan(2 * 86_400_000 + 5 * 60_000)).toBe('2d')
  })
})
