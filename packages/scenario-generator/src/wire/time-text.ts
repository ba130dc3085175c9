import type { Random } from '../random.ts'

/** RFC 3339 with milliseconds (`2026-01-05T09:12:33.123Z`), as Envoy and Okta write times. */
export function isoMillis(ts: number): string {
  return new Date(ts).toISOString()
}

/** RFC 3339 with nanoseconds, the sub-millisecond digits drawn from `random` (Hubble's flow times). */
export function isoNanos(ts: number, random: Random): string {
  return `${isoMillis(ts).slice(0, -1)}${String(random.int(0, 999_999)).padStart(6, '0')}Z`
}

/** RFC 3339 with microseconds (OPA's decision log times). */
export function isoMicros(ts: number, random: Random): string {
  return `${isoMillis(ts).slice(0, -1)}${String(random.int(0, 999)).padStart(3, '0')}Z`
}

/** A random (version 4) UUID from the seeded source. */
export function uuid(random: Random): string {
  // At most 8 hex digits per draw: a draw holds 32 bits.
  const hex = (digits: number): string =>
    digits > 8
      ? hex(8) + hex(digits - 8)
      : Math.floor(random.next() * 16 ** digits)
          .toString(16)
          .padStart(digits, '0')
  const variant = (8 + random.int(0, 3)).toString(16)
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`
}

/** `YYYY-MM-DD` of a time, UTC. */
export function isoDate(ts: number): string {
  return isoMillis(ts).slice(0, 10)
}
