import { createHash } from 'node:crypto'

/**
 * The content-derived key of an incident: sha-256 (hex, 64 chars) of the tenant and the given labels,
 * sorted by name. Given a group's labels (alertname, service, ...) it is the incident's key; given an
 * alert's full label set it is the alert's fingerprint. Annotations and timestamps never enter it, so
 * the same alert re-sent every minute keeps its key.
 */
export function dedupKey(tenant: string, labels: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((name) => [name, labels[name]])
  // Versioned, and JSON rather than concatenation, so that no two inputs produce the same text.
  return createHash('sha256')
    .update(JSON.stringify(['palisade.dedup.v1', tenant, sorted]))
    .digest('hex')
}
