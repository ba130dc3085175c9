import { z } from 'zod'

/** 2299-12-31T23:59:59.999Z, epoch ms: the last instant the store's DateTime64(3) columns hold. */
export const maxEventTime = 10_413_791_999_999

/** 1970-01-01T00:00:00Z, epoch ms: the first event time accepted (times are non-negative epoch ms). */
export const minEventTime = 0

/** Event time: epoch milliseconds (UTC) or an ISO-8601 string with a zone; stored as epoch ms. */
export const eventTime = z
  .union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })])
  .transform((value) => (typeof value === 'number' ? value : Date.parse(value)))

/**
 * A workload identity. SPIFFE IDs (`spiffe://trust-domain/path`) are checked against the SPIFFE
 * grammar (lower-case trust domain, no empty or dot segments); other names (`namespace/workload`)
 * are accepted as they come, since not every source has SPIFFE. One regular expression, so that
 * the JSON Schema generated from this (the fast validator) checks exactly the same.
 */
export const workloadIdentity = z
  .string()
  .min(1)
  .max(2048)
  .regex(
    /^(?:(?!spiffe:\/\/).+|spiffe:\/\/[a-z0-9._-]+(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*)$/s,
    {
      message: 'not a valid SPIFFE ID (spiffe://<trust-domain>/<path>, lower-case trust domain)',
    },
  )

/** An IPv4 or IPv6 address. */
export const ipAddress = z.union([z.ipv4(), z.ipv6()])

export const port = z.number().int().min(0).max(65535)

/** How a connection was secured: mutual TLS, server-only TLS, or plaintext. */
export const mtlsMode = z.enum(['mutual', 'tls', 'plaintext'])

/** A short label such as a service or namespace name. */
export const label = z.string().min(1).max(256)

/** Fields every event carries, whatever its kind. */
export const commonFields = {
  event_id: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe("Stable id: the client's own, else derived from the record's content (sha-256)"),
  tenant: label
    .optional()
    .describe('Tenant; defaults to the authenticated tenant and must match it when given'),
  ts: eventTime.describe('Event time: epoch ms or ISO-8601 with zone; stored as UTC ms'),
  source: label.default('api').describe('What emitted the record (envoy, opa, okta, demo, ...)'),
  service: label
    .default('unknown')
    .describe('The protected service the event belongs to (rollups and SLOs group by it)'),
}
