import { parseWorkload } from '@palisade/intent'
import { type AnyEvent, type FlowEvent, type MtlsEvent, partitionKey } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { isReply, serverPortOf, withApp } from '../lateral/endpoint.ts'
import { buildFinding, defineDetectorType, evidenceIds } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'

/** What the detector remembers per source (its key): the (destination, port) tuples it reported. */
export interface PlaintextInStrictState {
  /** `<dst>|<port>` → event time of the last finding, and the plaintext traffic counted since. */
  fired: Record<string, { at: number; count: number }>
  size: number
}

/** Tuples kept per source before the ones older than a re-arm period are forgotten. */
const maxTuples = 256

function isMtls(event: AnyEvent): event is MtlsEvent {
  return 'mode' in event
}

/**
 * Plaintext that got through: an mTLS record in plaintext mode, or an allowed flow whose format
 * found it plaintext (`mtls`, from access logs within seconds) or unencrypted (`encrypted`); replies
 * are the same connection again.
 */
function isPlaintext(event: AnyEvent): boolean {
  if (isMtls(event))
    return event.mode === 'plaintext' && event.outcome === 'success' && event.dst_identity !== undefined
  const flow = event as FlowEvent
  return (
    (flow.mtls === 'plaintext' || (flow.mtls === undefined && flow.encrypted === false)) &&
    flow.verdict === 'allowed' &&
    !isReply(flow) &&
    flow.dst_identity !== undefined
  )
}

function forget(state: PlaintextInStrictState, before: number): void {
  for (const [tuple, entry] of Object.entries(state.fired)) {
    if (entry.at < before) {
      delete state.fired[tuple]
      state.size--
    }
  }
  // Still full: drop the oldest half, so the next prune is far away (amortised O(1)).
  if (state.size >= maxTuples) {
    const oldest = Object.entries(state.fired)
      .sort((a, b) => a[1].at - b[1].at)
      .slice(0, Math.floor(maxTuples / 2))
    for (const [tuple] of oldest) delete state.fired[tuple]
    state.size -= oldest.length
  }
}

/**
 * `plaintext_in_strict`: plaintext traffic (an mTLS record with mode `plaintext`, or an allowed flow
 * with `encrypted: false`) to a destination workload and port whose PeerAuthentication mode is
 * STRICT (port-level exceptions honoured by the intent): a mesh bypass, or a client without a
 * sidecar reaching a workload that should only accept mTLS. One finding per (source, destination,
 * port) per re-arm period. Keyed by the event's partition key (the source workload). When the
 * record names no port (Istio's metrics carry none), the workload-level mode decides, and traffic
 * from a monitoring workload is left alone (scrapes of a port-level exception cannot be told apart).
 */
export const plaintextInStrictType = defineDetectorType({
  name: 'plaintext_in_strict',
  description:
    'Plaintext traffic to a destination workload/port whose PeerAuthentication requires STRICT mTLS',
  params: z.strictObject({
    /** How long after a finding the same (source, destination, port) stays quiet. */
    rearm_period: duration.default(60 * 60 * 1000),
  }),
  create(context): Detector<PlaintextInStrictState> {
    const { intent, params } = context
    const rearm = params.rearm_period
    return {
      id: context.id,
      kinds: ['mtls', 'flow'],
      accepts: isPlaintext,
      partitioning: 'event',
      keyOf: (event) => partitionKey('mtls', event as MtlsEvent),
      initialState: () => ({ fired: {}, size: 0 }),
      step(state, event): DetectedFinding[] {
        const record = event as MtlsEvent | FlowEvent
        const dstIdentity = record.dst_identity
        const flow = isMtls(event) ? undefined : (event as FlowEvent)
        const dst = withApp(parseWorkload(dstIdentity), flow?.dst_app)
        if (!dstIdentity || !dst) return []
        const port = flow ? serverPortOf(flow) : record.dst_port
        const srcIdentity = record.src_identity
        const src = withApp(parseWorkload(srcIdentity), flow?.src_app)
        if (port === undefined && src && intent.isMonitoring(src)) return []
        const mtls = intent.mtlsMode(dst, port)
        if (mtls.mode !== 'STRICT') return []
        const count = isMtls(event) ? event.count : 1
        const srcIp = flow?.src_ip
        const tuple = `${dstIdentity}|${port ?? '-'}`
        const last = state.fired[tuple]
        if (last && Math.abs(event.ts - last.at) < rearm) {
          last.count += count
          return []
        }
        if (!last) {
          if (state.size >= maxTuples) forget(state, event.ts - rearm)
          state.size++
        }
        state.fired[tuple] = { at: event.ts, count }
        const client = srcIdentity ?? srcIp ?? 'a client without a workload identity'
        const by = mtls.by ?? 'a PeerAuthentication'
        const where =
          port === undefined ? `${dstIdentity} (the record names no port)` : `${dstIdentity} on port ${port}`
        const what = isMtls(event)
          ? `${count} plaintext ${count === 1 ? 'connection/request' : 'connections/requests'} (mTLS record from ${event.source}, mode plaintext)`
          : flow?.mtls === 'plaintext'
            ? `a plaintext connection (reported by ${event.source})`
            : `an unencrypted flow (reported by ${event.source})`
        return [
          buildFinding(context, {
            tenant: event.tenant,
            ts: event.ts,
            identity: { src: client, dst: dstIdentity, port: port ?? null, at: event.ts },
            title: `Plaintext to STRICT mTLS workload ${dstIdentity}${port === undefined ? '' : `:${port}`}`,
            summary:
              `${client} sent ${what} to ${where} at ${new Date(event.ts).toISOString()}, although ${by} ` +
              `requires STRICT mTLS there: this traffic bypasses the mesh's mutual authentication and ` +
              'encryption (a workload without a sidecar, or a mesh bypass), so identity-based policy does not ' +
              `apply to it. Repeats are counted for ${formatSpan(rearm)}.`,
            entities: {
              ...(srcIdentity ? { src_identity: srcIdentity } : {}),
              ...(srcIp ? { src_ip: srcIp } : {}),
              ...(flow?.src_pod ? { src_pod: flow.src_pod } : {}),
              ...(srcIdentity?.startsWith('spiffe://') ? { src_spiffe_id: srcIdentity } : {}),
              dst_identity: dstIdentity,
              ...(flow?.dst_pod ? { dst_pod: flow.dst_pod } : {}),
              ...(flow?.dst_ip ? { dst_ip: flow.dst_ip } : {}),
              ...(port !== undefined ? { dst_port: String(port) } : {}),
              peer_authentication: by,
              ...(event.service !== 'unknown' ? { service: event.service } : {}),
            },
            evidence: {
              event_ids: evidenceIds([event.event_id]),
              count,
              source: event.source,
              mtls_mode: mtls.mode,
              declared_by: by,
              first_seen: event.ts,
              rearm_period_ms: rearm,
            },
          }),
        ]
      },
    }
  },
})
