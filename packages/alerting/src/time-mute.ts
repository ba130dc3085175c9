import type { Muter } from './muter.ts'
import { type TimeInterval, timeIntervalContains } from './time-interval.ts'

/**
 * A route's `mute_time_intervals` as a {@link Muter}: every alert of the route is muted while any of
 * the named intervals is active. Names not found among `intervals` never mute (the routing file's
 * parser already refuses them).
 */
export function createTimeMuter(intervals: readonly TimeInterval[], names: readonly string[]): Muter {
  const named = intervals.filter((interval) => names.includes(interval.name))
  return {
    mutes(_labels, now) {
      return named.some((interval) => timeIntervalContains(interval, now))
    },
  }
}

const MINUTE = 60_000
/** How far {@link muteEndsAt} looks for the end of a window: a week covers any weekly window. */
const HORIZON_MS = 8 * 24 * 3_600_000

/**
 * When a route muted at `now` stops being muted, epoch ms (the next whole minute at which no named
 * interval is active; intervals are minute-granular); `now` when it is not muted. A window that
 * never ends within 8 days (every day, all day) answers the horizon, so a queued resolve still goes out.
 */
export function muteEndsAt(muter: Muter, now: number): number {
  if (!muter.mutes({}, now)) return now
  for (let at = Math.floor(now / MINUTE) * MINUTE + MINUTE; at <= now + HORIZON_MS; at += MINUTE)
    if (!muter.mutes({}, at)) return at
  return now + HORIZON_MS
}
