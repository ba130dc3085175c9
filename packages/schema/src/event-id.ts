import { createHash } from 'node:crypto'

/** Canonical JSON: keys sorted at every depth, so that the same record always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

/**
 * The id of a record that brought none: a sha-256 of its kind and canonical content (32 hex chars),
 * so that a client re-sending the same record (at-least-once delivery) produces the same id.
 */
export function deriveEventId(kind: string, record: unknown): string {
  return createHash('sha256')
    .update(kind)
    .update('\n')
    .update(canonicalJson(record))
    .digest('hex')
    .slice(0, 32)
}
