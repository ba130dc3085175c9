/**
 * A named recurring window in UTC, such as a weekly maintenance slot: the subset of Alertmanager's
 * `time_intervals` with `weekdays` and `times`. It is active when any one of its periods is.
 */
export interface TimeInterval {
  name: string
  periods: TimePeriod[]
}

/** One period of a {@link TimeInterval}; an empty list means "any". */
export interface TimePeriod {
  /** Inclusive day ranges, 0 = Sunday … 6 = Saturday; a range may wrap (`friday:monday`). */
  weekdays: Array<[number, number]>
  /** Half-open minute-of-day ranges `[start, end)`, UTC, end at most 1440. */
  times: Array<[number, number]>
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']
const CLOCK = /^([01]\d|2[0-4]):([0-5]\d)$/

function minuteOfDay(text: unknown): number | undefined {
  const match = typeof text === 'string' ? CLOCK.exec(text) : null
  if (!match) return undefined
  const minute = Number(match[1]) * 60 + Number(match[2])
  return minute <= 1440 ? minute : undefined
}

/**
 * Read one entry of a `time_intervals[].time_intervals` list (`{weekdays?: ['monday:friday'],
 * times?: [{start_time: '02:00', end_time: '04:00'}]}`); problems go to `problems`, prefixed by `path`.
 */
export function parseTimePeriod(raw: unknown, path: string, problems: string[]): TimePeriod {
  const period: TimePeriod = { weekdays: [], times: [] }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${path} must be a mapping with weekdays and/or times`)
    return period
  }
  for (const key of Object.keys(raw)) {
    if (key !== 'weekdays' && key !== 'times') {
      problems.push(`${path}.${key} is not supported (only weekdays and times, in UTC)`)
    }
  }
  const { weekdays = [], times = [] } = raw as { weekdays?: unknown; times?: unknown }
  if (!Array.isArray(weekdays)) problems.push(`${path}.weekdays must be a list such as ['monday:friday']`)
  else
    for (const [index, text] of weekdays.entries()) {
      const [from = '', to = from] = String(text).toLowerCase().split(':')
      const start = WEEKDAYS.indexOf(from)
      const end = WEEKDAYS.indexOf(to)
      if (start < 0 || end < 0)
        problems.push(`${path}.weekdays[${index}] "${text}" is not a weekday or day range`)
      else period.weekdays.push([start, end])
    }
  if (!Array.isArray(times)) problems.push(`${path}.times must be a list of {start_time, end_time}`)
  else
    for (const [index, entry] of times.entries()) {
      const { start_time, end_time } = (entry ?? {}) as { start_time?: unknown; end_time?: unknown }
      const start = minuteOfDay(start_time)
      const end = minuteOfDay(end_time)
      if (start === undefined || end === undefined || start >= end) {
        problems.push(`${path}.times[${index}] needs start_time < end_time as HH:MM (UTC, end up to 24:00)`)
      } else period.times.push([start, end])
    }
  return period
}

/** Whether `interval` is active at `at` (epoch ms, read in UTC). */
export function timeIntervalContains(interval: TimeInterval, at: number): boolean {
  const date = new Date(at)
  const day = date.getUTCDay()
  const minute = date.getUTCHours() * 60 + date.getUTCMinutes()
  return interval.periods.some(
    (period) =>
      (period.weekdays.length === 0 ||
        period.weekdays.some(([start, end]) =>
          start <= end ? day >= start && day <= end : day >= start || day <= end,
        )) &&
      (period.times.length === 0 || period.times.some(([start, end]) => minute >= start && minute < end)),
  )
}
