import { hash } from 'node:crypto'

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
  // Versioned, and JSON rather than concatenation, so that no two inputs produce the same text. The
  // one-shot `hash` gives the same digest as createHash() without a Hash object per call: every
  // alert received is fingerprinted, so this is on the path that answers `POST /api/v2/alerts`.
  return hash('sha256', JSON.stringify(['palisade.dedup.v1', tenant, sorted]), 'hex')
}
