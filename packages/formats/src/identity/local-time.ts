/**
 * A time zone for wall-clock times: `UTC`, a fixed offset (`+02:00`, `-0530`) or an IANA name
 * (`Europe/Berlin`, whose offset changes with daylight saving time).
 */
export type TimeZone = { offsetMinutes: number } | { iana: Intl.DateTimeFormat }

/** Whether year-month-day names a real day (2024-02-30 does not). */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/** Reads a time zone name or offset; undefined when it is none of the above (or beyond ±18:00). */
export function parseTimeZone(value: string): TimeZone | undefined {
  if (value === 'UTC' || value === 'Z') return { offsetMinutes: 0 }
  const offset = /^([+-])(\d{2}):?(\d{2})$/.exec(value)
  if (offset) {
    const minutes = Number(offset[2]) * 60 + Number(offset[3])
    if (minutes > 18 * 60) return undefined
    return { offsetMinutes: offset[1] === '-' ? -minutes : minutes }
  }
  try {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: value,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    return { iana: format }
  } catch {
    // Intl throws a RangeError for a name it does not know: that is the answer, not a failure.
    return undefined
  }
}

/** How far the zone's wall clock is ahead of UTC at `instant` (epoch ms), in ms. */
function zoneOffsetMs(format: Intl.DateTimeFormat, instant: number): number {
  const parts: Record<string, number> = {}
  for (const part of format.formatToParts(instant)) parts[part.type] = Number(part.value)
  const wall = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  )
  return wall - (instant - (((instant % 1000) + 1000) % 1000))
}

const dayMs = 86_400_000

/**
 * Epoch ms of a wall-clock time (`wallMs`: the wall time read as if it were UTC) in `zone`. In an
 * IANA zone, a time that a daylight-saving change skips is read with the offset before the change
 * (02:30 becomes 03:30), and one it repeats is taken at its first occurrence.
 */
export function wallTimeToEpochMs(wallMs: number, zone: TimeZone): number {
  if ('offsetMinutes' in zone) return wallMs - zone.offsetMinutes * 60_000
  // The offsets a day either side cover any change near this time (zones change at most twice a year).
  const before = zoneOffsetMs(zone.iana, wallMs - dayMs)
  const after = zoneOffsetMs(zone.iana, wallMs + dayMs)
  const instants = [before, after]
    .filter((offset) => zoneOffsetMs(zone.iana, wallMs - offset) === offset)
    .map((offset) => wallMs - offset)
  return instants.length === 0 ? wallMs - before : Math.min(...instants)
}
