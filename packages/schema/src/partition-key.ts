import type { AnyEvent, EventByKind, EventKind } from './event-kinds.ts'

/**
 * The bus key of an event: the identity whose behaviour detectors follow, so that all of one
 * identity's events land in one partition, in order. Falls back to the tenant.
 */
export function partitionKey<K extends EventKind>(kind: K, event: EventByKind[K]): string {
  const e = event as AnyEvent & Record<string, unknown>
  const identity =
    kind === 'auth'
      ? e.principal
      : kind === 'policy_change'
        ? e.policy_id
        : kind === 'decision'
          ? (e.src_identity ?? e.subject)
          : (e.src_identity ?? e.src_ip)
  return `${event.tenant}/${typeof identity === 'string' && identity !== '' ? identity : '-'}`
}
