import { hash } from 'node:crypto'

/**
 * The text {@link dedupKey} digests: the tenant and the labels sorted by name, as the JSON
 * `["palisade.dedup.v1", tenant, [[name, value], ...]]`. Versioned, and JSON rather than
 * concatenation, so that no two inputs give the same text: it is itself an identity, which the
 * planner keys its alerts by (every alert received is identified, and the digest is only needed
 * where a fingerprint is shown). Built by hand: this runs for every alert of every POST.
 */
export function dedupIdentity(tenant: string, labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels)
  if (names.length > 1) names.sort()
  let text = `["palisade.dedup.v1",${JSON.stringify(tenant)},[`
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string
    // A missing value reads as JSON.stringify reads it in an array: null.
    text += `${i > 0 ? ',' : ''}[${JSON.stringify(name)},${JSON.stringify(labels[name] ?? null)}]`
  }
  return `${text}]]`
}

/** The sha-256 (hex) of an identity from {@link dedupIdentity}: its {@link dedupKey}. */
export function digestIdentity(identity: string): string {
  return hash('sha256', identity, 'hex')
}

/**
 * The content-derived key of an incident: sha-256 (hex, 64 chars) of the tenant and the given labels,
 * sorted by name. Given a group's labels (alertname, service, ...) it is the incident's key; given an
 * alert's full label set it is the alert's fingerprint. Annotations and timestamps never enter it, so
 * the same alert re-sent every minute keeps its key.
 */
export function dedupKey(tenant: string, labels: Readonly<Record<string, string>>): string {
  return digestIdentity(dedupIdentity(tenant, labels))
}
