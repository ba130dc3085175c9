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
