import { parseDuration } from '@palisade/duration'

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const

/**
 * Parse a window such as `5m`, `1h`, `6h`, `3d`, `30d` or `4w` into milliseconds (the product's one
 * duration grammar); `undefined` when the text is not one, or not a positive whole number of minutes:
 * the rollups have 1-minute granularity.
 */
export function parseWindow(text: string): number | undefined {
  const ms = parseDuration(text)
  if (ms === undefined || ms <= 0 || ms % UNIT_MS.m !== 0) return undefined
  return ms
}

/** Write a window in the largest unit that divides it: 3_600_000 → `1h`, 5_400_000 → `90m`. */
export function formatWindow(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`
  }
  return `${Math.round(ms / 60_000)}m`
}

/**
 * A span for people, in its two largest units, rounded down to the minute: 29_000_000 → `8h 3m`,
 * 187_200_000 → `2d 4h`, 0 → `0m`.
 */
export function describeSpan(ms: number): string {
  let minutes = Math.max(0, Math.floor(ms / UNIT_MS.m))
  const parts: string[] = []
  for (const [unit, size] of [
    ['d', 1440],
    ['h', 60],
    ['m', 1],
  ] as const) {
    if (minutes >= size) {
      parts.push(`${Math.floor(minutes / size)}${unit}`)
      minutes %= size
    }
    if (parts.length === 2) break
  }
  if (parts.length === 2 && parts[0]?.endsWith('d') && parts[1]?.endsWith('m')) parts.pop()
  return parts.length === 0 ? '0m' : parts.join(' ')
}
