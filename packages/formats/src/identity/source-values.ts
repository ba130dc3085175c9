import { isIP } from 'node:net'
import type { ParseOptions } from '../format-parser.ts'
import { isCalendarDate } from './local-time.ts'

/**
 * The principal of an attempt whose source names nobody (a Keycloak error before the user was
 * identified, AWS hiding an unknown user name). The attempt still counts for the auth SLI, so it is
 * kept under this name rather than refused for want of one.
 */
export const unknownPrincipal = 'unknown'

/** The value when it is a JSON object (not null, not an array), else undefined. */
export function objectOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

/** A field the identity sources send as a string, or undefined for null, "null", "" and non-strings. */
export function textOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  // Okta and Keycloak write a missing value as the string "null".
  return text === '' || text === 'null' ? undefined : text
}

/** The value as a string cut to `max` characters (the schema's bound), or undefined. */
export function clippedText(value: unknown, max: number): string | undefined {
  const text = textOf(value)
  // A user agent or reason longer than the schema allows is cut, not refused: the attempt matters more.
  return text === undefined ? undefined : text.slice(0, max)
}

/**
 * The value when it is an IPv4 or IPv6 address as the schema accepts it (no zone id), else
 * undefined: sources put "null", "AWS Internal" or a service host name where no client address is.
 */
export function ipAddressOf(value: unknown): string | undefined {
  const text = textOf(value)
  return text !== undefined && isIP(text) !== 0 && !text.includes('%') ? text : undefined
}

const isoTimestamp = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/

/**
 * An ISO-8601 timestamp with a zone (`2022-11-10T16:24:34Z`) as epoch ms, else undefined. A time
 * without a zone is refused rather than read in the parser's own zone (no clock, no locale).
 */
export function isoEpochMs(value: unknown): number | undefined {
  const match = typeof value === 'string' ? isoTimestamp.exec(value) : null
  // Date.parse would roll 2024-02-30 over into March; a day that does not exist is no timestamp.
  if (!match || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) return undefined
  const ms = Date.parse(value as string)
  return Number.isNaN(ms) ? undefined : ms
}

/** The reason prefix of a readable record that is not an authentication attempt. */
export const notAuthenticationEvent = 'not an authentication event'

/**
 * The `skip_other_events` option: `true` drops records that are readable but are not
 * authentication attempts (other event types, server lines); `false` (default) rejects them so
 * that they reach quarantine and nothing leaves unseen. Any other value is a problem that every
 * such record is rejected with, as the other formats of this package do with a bad option.
 */
export type SkipOtherEvents = { skip: boolean } | { problem: string }

/** Reads the `skip_other_events` option (see `SkipOtherEvents`). */
export function skipOtherEvents(options: ParseOptions | undefined): SkipOtherEvents {
  const value = options?.skip_other_events
  if (value === undefined || value === 'false') return { skip: false }
  if (value === 'true') return { skip: true }
  return { problem: `options.skip_other_events "${value}": expected true or false` }
}
