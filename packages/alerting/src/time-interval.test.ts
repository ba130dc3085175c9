import { describe, expect, it } from 'vitest'
import { parseTimePeriod, type TimeInterval, timeIntervalContains } from './time-interval.ts'

function interval(raw: unknown): TimeInterval {
  const problems: string[] = []
  const period = parseTimePeriod(raw, 'p', problems)
  expect(problems).toEqual([])
  return { name: 'w', periods: [period] }
}

// 2026-11-28 is a Saturday.
const saturday = (hour: number, minute = 0) => Date.UTC(2026, 10, 28, hour, minute)

describe('time intervals', () => {
  it('contains times inside the window and not outside, in UTC', () => {
    const window = interval({ weekdays: ['saturday'], times: [{ start_time: '02:00', end_time: '04:00' }] })
    expect(timeIntervalContains(window, saturday(2))).toBe(true)
    expect(timeIntervalContains(window, saturday(3, 59))).toBe(true)
    expect(timeIntervalContains(window, saturday(4))).toBe(false)
    expect(timeIntervalContains(window, saturday(2) + 86_400_000)).toBe(false)
  })

  it('reads day ranges that wrap around the week', () => {
    const weekend = interval({ weekdays: ['friday:monday'] })
    expect(timeIntervalContains(weekend, saturday(12))).toBe(true)
    expect(timeIntervalContains(weekend, saturday(12) + 3 * 86_400_000)).toBe(false)
  })

  it('reports unsupported fields and bad times', () => {
    const problems: string[] = []
    parseTimePeriod(
      { months: ['may'], weekdays: ['funday'], times: [{ start_time: '05:00', end_time: '04:00' }] },
      'p',
      problems,
    )
    expect(problems).toHaveLength(3)
  })
})
