import type { MtlsEvent } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType, evidenceIds } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'
import { clientName, destinationKey, mtlsDestination } from './mtls-destination.ts'

/** What the detector remembers per destination (its key): the certificates it reported. */
export interface CertExpiryState {
  /** `<not_after>|expiring` or `<not_after>|expired` → event time of the finding. */
  reported: Record<string, number>
}

/** Certificates remembered per destination (rotations add one each). */
const maxReported = 32

function iso(ts: number): string {
  return new Date(ts).toISOString()
}

/**
 * `cert_expiry`: the certificate a destination presents (`cert_not_after` of its mTLS records)
 * expires within `warn_within` of the record's time: one finding per (destination, not-after), at
 * the rule's severity. Already expired at the record's time: one finding per (destination,
 * not-after) at severity `page`, whatever the rule says, since handshakes to it now fail (the
 * reason the record gives is quoted). Re-keyed by destination (`<tenant>/dst/<workload>`).
 */
export const certExpiryType = defineDetectorType({
  name: 'cert_expiry',
  description: "A destination's peer certificate expiring within a warning window, or already expired",
  params: z.strictObject({
    /** How long before `cert_not_after` to warn. */
    warn_within: duration.default(14 * 24 * 60 * 60 * 1000),
  }),
  create(context): Detector<CertExpiryState> {
    const warnWithin = context.params.warn_within
    return {
      id: context.id,
      kinds: ['mtls'],
      accepts: (event) =>
        (event as MtlsEvent).cert_not_after !== undefined &&
        mtlsDestination(event as MtlsEvent) !== undefined,
      partitioning: 'rekeyed',
      keyOf: destinationKey,
      initialState: () => ({ reported: {} }),
      step(state, event): DetectedFinding[] {
        const record = event as MtlsEvent
        const notAfter = record.cert_not_after
        const destination = mtlsDestination(record)
        if (notAfter === undefined || !destination) return []
        const left = notAfter - record.ts
        if (left > warnWithin) return []
        const expired = left <= 0
        const level = expired ? 'expired' : 'expiring'
        const key = `${notAfter}|${level}`
        if (key in state.reported) return []
        const keys = Object.keys(state.reported)
        if (keys.length >= maxReported) {
          // Forget the certificates that expired longest ago.
          for (const old of keys
            .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))
            .slice(0, maxReported / 2))
            delete state.reported[old]
        }
        state.reported[key] = record.ts
        const name = destination.name
        const port = record.dst_port === undefined ? '' : ` on port ${record.dst_port}`
        const client = clientName(record)
        const seen = `seen in a ${record.outcome === 'success' ? 'successful' : 'failed'} handshake${client ? ` from ${client}` : ''} at ${iso(record.ts)} (${record.source})`
        const summary = expired
          ? `The certificate ${name} presents${port} expired at ${iso(notAfter)}, ${formatSpan(-left)} before it was ` +
            `${seen}${record.reason ? `, reason ${record.reason}` : ''}: paged because an expired certificate makes ` +
            `every mTLS handshake to ${name} fail, cutting it off from its callers. Rotate it now.`
          : `The certificate ${name} presents${port} expires at ${iso(notAfter)}, in ${formatSpan(left)} ` +
            `(warning window ${formatSpan(warnWithin)}; ${seen}): rotate it before then, or every mTLS handshake to ${name} will fail.`
        return [
          buildFinding(context, {
            tenant: record.tenant,
            ts: record.ts,
            identity: { dst: destination.key, not_after: notAfter, level },
            ...(expired ? { severity: 'page' as const } : {}),
            title: expired
              ? `Certificate of ${name} has expired`
              : `Certificate of ${name} expires in ${formatSpan(left)}`,
            summary,
            entities: {
              [destination.entity]: name,
              cert_not_after: iso(notAfter),
              ...(record.dst_port !== undefined ? { dst_port: String(record.dst_port) } : {}),
              ...(record.service !== 'unknown' ? { service: record.service } : {}),
            },
            evidence: {
              event_ids: evidenceIds([record.event_id]),
              cert_not_after: notAfter,
              time_left_ms: left,
              warn_within_ms: warnWithin,
              outcome: record.outcome,
              ...(record.reason ? { reason: record.reason } : {}),
              source: record.source,
            },
          }),
        ]
      },
    }
  },
})
