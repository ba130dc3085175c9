import { isIP } from 'node:net'
import { FlowRecordUnreadableError } from './flow-record-error.ts'

const decimalSeconds = /^(\d+)(?:\.(\d+))?$/
const rfc3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i

/** Fractional digits as milliseconds: "186193305" (ns) is 186.193305 ms. */
function fractionToMs(digits: string | undefined): number {
  if (digits === undefined) return 0
  // Whole milliseconds from the first three digits exactly, so that flooring to ms never loses one.
  const rest = digits.slice(3)
  return Number(digits.slice(0, 3).padEnd(3, '0')) + (rest === '' ? 0 : Number(`0.${rest}`))
}

/** Seconds as ms, read from the decimal text so that `.404` stays 404 ms (404 * 1e-3 is not exact). */
function secondsToMs(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined
    // The shortest decimal text of a number is the text the source wrote, unless it needs an exponent.
    const text = String(value)
    if (text.includes('e')) return value * 1000
    value = text
  }
  const match = typeof value === 'string' ? decimalSeconds.exec(value) : null
  return match ? Number(match[1]) * 1000 + fractionToMs(match[2]) : undefined
}

function fail(message: string): never {
  throw new FlowRecordUnreadableError(message)
}

/**
 * Readers for the values flow logs carry, each throwing `FlowRecordUnreadableError` with a reason
 * that names the source field. Counters come as numbers or as decimal strings (64-bit values in
 * JSON are strings), so both are read; anything past 2^53 is refused rather than rounded.
 */
export const readField = {
  /** A non-negative integer, from a number or a decimal string. */
  count(value: unknown, field: string): number {
    const number =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\d+$/.test(value)
          ? Number(value)
          : NaN
    if (!Number.isSafeInteger(number) || number < 0) fail(`${field}: not a non-negative integer`)
    return number
  },

  /** A TCP/UDP port, 0-65535. */
  port(value: unknown, field: string): number {
    const number =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\d+$/.test(value)
          ? Number(value)
          : NaN
    if (!Number.isInteger(number) || number < 0 || number > 65535)
      fail(`${field}: not a port number (0-65535)`)
    return number
  },

  /** An IPv4 or IPv6 address, as text. */
  ip(value: unknown, field: string): string {
    if (typeof value !== 'string' || isIP(value) === 0) fail(`${field}: not an IP address`)
    return value
  },

  /** Epoch seconds (`1521911721.255387`, a number or its decimal text) as epoch ms, with the fraction. */
  epochSeconds(value: unknown, field: string): number {
    return secondsToMs(value) ?? fail(`${field}: not a number of epoch seconds`)
  },

  /** A duration in seconds (`0.004266`, a number or its decimal text) as ms. */
  seconds(value: unknown, field: string): number {
    return secondsToMs(value) ?? fail(`${field}: not a number of seconds`)
  },

  /** An RFC 3339 time with a zone (`2019-06-14T03:45:37.186193305Z`) as epoch ms, with the fraction. */
  rfc3339(value: unknown, field: string): number {
    const match = typeof value === 'string' ? rfc3339.exec(value) : null
    const whole = match ? Date.parse(`${match[1]}${match[3]}`) : NaN
    if (!match || Number.isNaN(whole)) fail(`${field}: not an RFC 3339 time with a zone`)
    // Date.parse keeps only milliseconds; nanosecond sources keep their precision for durations.
    return whole + fractionToMs(match[2])
  },

  /** The time from `startMs` to `endMs` in ms, to the microsecond; `field` names the end, refused if earlier. */
  durationMs(startMs: number, endMs: number, field: string): number {
    if (endMs < startMs) fail(`${field}: earlier than the start`)
    return Math.round((endMs - startMs) * 1000) / 1000
  },

  /** A non-empty string. */
  text(value: unknown, field: string): string {
    if (typeof value !== 'string' || value === '') fail(`${field}: not a non-empty string`)
    return value
  },

  /** A JSON object (not null, not an array). */
  object(value: unknown, field: string): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`${field}: not an object`)
    return value as Record<string, unknown>
  },

  /** The event-model protocol of an IANA protocol number: ICMPv6 (58) counts as icmp. */
  ipProtocol(number: number): 'tcp' | 'udp' | 'icmp' | 'other' {
    if (number === 6) return 'tcp'
    if (number === 17) return 'udp'
    if (number === 1 || number === 58) return 'icmp'
    return 'other'
  },
}
