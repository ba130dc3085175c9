import { type AnyEvent, canonicalWorkload, type MtlsEvent } from '@palisade/schema'

/**
 * The destination an mTLS record is about, for detectors re-keyed by destination: the server
 * workload (canonical, so a SPIFFE ID and `namespace/name` are one key), else the service the
 * record belongs to (Envoy listener stats name no peer, only the service they were scraped for).
 */
export function mtlsDestination(
  event: MtlsEvent,
): { key: string; entity: 'dst_identity' | 'service'; name: string } | undefined {
  if (event.dst_identity)
    return { key: canonicalWorkload(event.dst_identity), entity: 'dst_identity', name: event.dst_identity }
  if (event.service && event.service !== 'unknown')
    return { key: `service:${event.service}`, entity: 'service', name: event.service }
  return undefined
}

/** Bus key of a destination-keyed mTLS detector: `<tenant>/dst/<destination>`. */
export function destinationKey(event: AnyEvent): string {
  const destination = mtlsDestination(event as MtlsEvent)
  return `${event.tenant}/dst/${destination?.key ?? '-'}`
}

/** The client of an mTLS record or flow as the record names it: identity, else IP. */
export function clientName(event: {
  src_identity?: string | undefined
  src_ip?: string | undefined
}): string | undefined {
  return event.src_identity ?? event.src_ip
}

/** `a ×3, b ×2` for the `limit` largest counts. */
export function topCounts(counts: Record<string, number>, limit = 3): { name: string; count: number }[] {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([name, count]) => ({ name, count }))
}

/** `a ×3, b ×2`. */
export function formatTop(top: readonly { name: string; count: number }[]): string {
  return top.map(({ name, count }) => `${name} ×${count}`).join(', ')
}
