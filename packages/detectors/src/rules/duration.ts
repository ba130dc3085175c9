import { parseDuration } from '@palisade/duration'
import { z } from 'zod'

/** A rule-file duration (`30s`, `10m`, `1h`, `7d`), read as milliseconds; a bad one is a lint error. */
export const duration = z.string().transform((text, context) => {
  const ms = parseDuration(text)
  if (ms === undefined || ms <= 0) {
    context.addIssue({
      code: 'custom',
      message: `bad duration '${text}': write a positive number and a unit, such as 30s, 10m, 1h or 7d`,
    })
    return z.NEVER
  }
  return ms
})

/** Format milliseconds for a summary: `90 s`, `12 min`, `3.5 h`, `2.0 d`. */
export function formatSpan(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`
  if (ms < 2 * 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`
  return `${(ms / 86_400_000).toFixed(1)} d`
}
