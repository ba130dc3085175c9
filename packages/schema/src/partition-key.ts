import type { AnyEvent, EventByKind, EventKind } from './event-kinds.ts'

/** SPIFFE IDs parsed, at most this many kept (a few MB at most). */
const maxCachedIdentities = 10_000
const canonicalByIdentity = new Map<string, string>()

/**
 * One name per workload whichever source reported it: a SPIFFE ID `spiffe://<td>/ns/<ns>/sa/<sa>`
 * (Envoy, Istio) becomes `<ns>/<sa>`, the name Hubble and Kubernetes use; anything else is kept.
 * Istio's convention of one service account per workload makes the two the same workload.
 */
export function canonicalWorkload(identity: string): string {
  if (!identity.startsWith('spiffe://')) return identity
  let canonical = canonicalByIdentity.get(identity)
  if (canonical === undefined) {
    const match = /\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(identity)
    canonical = match ? `${match[1]}/${match[2]}` : identity
    // Bounded, oldest out first: identities are few and repeat on every event of theirs.
    if (canonicalByIdentity.size >= maxCachedIdentities)
      canonicalByIdentity.delete(canonicalByIdentity.keys().next().value as string)
    canonicalByIdentity.set(identity, canonical)
  }
  return canonical
}

/**
 * The bus key of an event: the identity whose behaviour detectors follow, so that all of one
 * identity's events land in one partition, in order, whichever source reported them. For flows it
 * is the connection's initiator, so a reply (`is_reply`) goes with the request it answers. Falls
 * back to the tenant.
 */
export function partitionKey<K extends EventKind>(kind: K, event: EventByKind[K]): string {
  const e = event as AnyEvent & Record<string, unknown>
  const identity =
    kind === 'auth' || kind === 'token'
      ? (e.principal ?? e.credential_id)
      : kind === 'posture'
        ? e.device
        : kind === 'policy_change'
          ? e.policy_id
          : kind === 'decision'
            ? (e.src_identity ?? e.subject)
            : kind === 'flow' && e.is_reply === true
              ? // A reply belongs to the connection its initiator (the record's destination) opened.
                (e.dst_identity ?? e.dst_ip)
              : (e.src_identity ?? e.src_ip)
  return `${event.tenant}/${typeof identity === 'string' && identity !== '' ? canonicalWorkload(identity) : '-'}`
}
