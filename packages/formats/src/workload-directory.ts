import { canonicalWorkload } from '@palisade/schema'
import type { ParsedRecord } from './format-parser.ts'

/**
 * One workload identity across sources, joined by pod IP (issue 15, cause 3). A parser reads one
 * record at a time, so an Envoy line that names only addresses (`downstream_remote_address` of an
 * outbound or PassthroughCluster line, no pod environment logged) cannot name its workload; Hubble
 * names the same pod IP with its pod, labels and service account in every flow. The directory
 * learns `ip → workload` from the records that name an address *and* the pod it belongs to (Hubble
 * endpoints, an Envoy line with its pod's environment), and fills in the workload of flows that name
 * only the address. It holds no I/O and no clock: time is the events' own, so a replay joins as a
 * live feed does.
 *
 * Why only records naming the pod: an address beside a certificate's SAN or a Service name is not
 * proof of which pod holds it (a gateway or a NAT in between), a pod's own endpoint is. Why
 * bounded in time: pod IPs are reused after a pod goes away, so a pairing is trusted only within
 * `maxAgeMs` of event time of the last record that showed it (Hubble shows a live pod's IP in every
 * flow). Why bounded in size: one entry per address, the least recently taught dropped first.
 */
export interface WorkloadDirectory {
  /**
   * Learn from a batch of parsed records, then fill in, in place, the workload (`<side>_identity`,
   * `<side>_pod`, `<side>_app`) of flows that name an address and no workload, and the pod and app
   * label of flows that name the same workload without them. A workload a record names is never
   * renamed. `fill: false` learns only (records whose bytes must stay as sent).
   * Returns how many flow ends were filled in.
   */
  enrich(records: readonly ParsedRecord[], options?: { fill?: boolean }): number
  /** The workload last seen at `ip` within the age limit of `at` (epoch ms), if any. */
  lookup(ip: string, at: number): KnownWorkload | undefined
  /** Addresses known. */
  readonly size: number
}

/** What the directory knows of the pod at one address. */
export interface KnownWorkload {
  /** `namespace/workload` (or the SPIFFE ID) as the teaching record named it. */
  identity: string
  /** `namespace/pod`. */
  pod: string
  /** The pod's app label, when the record carried it. */
  app?: string
  /** Event time of the last record that showed this pairing, epoch ms. */
  seenAt: number
}

/** Settings of {@link createWorkloadDirectory}. */
export interface WorkloadDirectoryOptions {
  /** Most addresses remembered (default 100,000: a large cluster's pods). */
  maxAddresses?: number
  /** How long, in event time, a pairing is trusted after the last record that showed it (default 1 h). */
  maxAgeMs?: number
}

/**
 * The field names of each end of a flow, spelled out once: a name built per access (`${side}_ip`)
 * is a new string that V8 must look up before it can read the property, on every flow of every
 * request.
 */
const sides = (['src', 'dst'] as const).map((side) => ({
  ip: `${side}_ip`,
  identity: `${side}_identity`,
  pod: `${side}_pod`,
  app: `${side}_app`,
}))

/** A workload of ours: not Cilium's reserved identities (`reserved:world`, `reserved:host`, …), which name many machines. */
function isPodWorkload(identity: unknown): identity is string {
  return (
    typeof identity === 'string' &&
    identity !== '' &&
    !identity.startsWith('reserved:') &&
    identity !== 'world' &&
    (identity.startsWith('spiffe://') || identity.includes('/'))
  )
}

/** Create an empty directory (one per tenant: addresses are only unique within one). */
export function createWorkloadDirectory(options: WorkloadDirectoryOptions = {}): WorkloadDirectory {
  const maxAddresses = options.maxAddresses ?? 100_000
  const maxAgeMs = options.maxAgeMs ?? 60 * 60 * 1000
  // Insertion order is recency of teaching: a re-taught address is moved to the end.
  const byIp = new Map<string, KnownWorkload>()

  function learn(ip: string, identity: string, pod: string, app: string | undefined, seenAt: number): void {
    const previous = byIp.get(ip)
    if (previous !== undefined) {
      // Records arrive out of order across sources: an older record never overrides a newer pairing.
      if (previous.seenAt > seenAt) return
      byIp.delete(ip)
      // The same pairing shown again (Hubble names a live pod in every flow): only its time moves.
      if (previous.identity === identity && previous.pod === pod && previous.app === app) {
        previous.seenAt = seenAt
        byIp.set(ip, previous)
        return
      }
    } else if (byIp.size >= maxAddresses) {
      const oldest = byIp.keys().next().value
      if (oldest !== undefined) byIp.delete(oldest)
    }
    byIp.set(ip, app === undefined ? { identity, pod, seenAt } : { identity, pod, app, seenAt })
  }

  function lookup(ip: string, at: number): KnownWorkload | undefined {
    const known = byIp.get(ip)
    return known !== undefined && Math.abs(at - known.seenAt) <= maxAgeMs ? known : undefined
  }

  return {
    enrich(records, enrichOptions) {
      for (const { kind, event } of records) {
        if (kind !== 'flow' || typeof event.ts !== 'number') continue
        for (const side of sides) {
          const ip = event[side.ip]
          const identity = event[side.identity]
          const pod = event[side.pod]
          if (typeof ip !== 'string' || typeof pod !== 'string' || !isPodWorkload(identity)) continue
          const app = event[side.app]
          learn(ip, identity, pod, typeof app === 'string' ? app : undefined, event.ts)
        }
      }
      if (enrichOptions?.fill === false) return 0
      let filled = 0
      for (const { kind, event } of records) {
        if (kind !== 'flow' || typeof event.ts !== 'number') continue
        for (const side of sides) {
          const ip = event[side.ip]
          if (typeof ip !== 'string') continue
          const identity = event[side.identity]
          if (identity !== undefined && event[side.pod] !== undefined && event[side.app] !== undefined)
            continue
          const known = lookup(ip, event.ts)
          if (known === undefined) continue
          // A record naming the workload keeps its name; the pod and labels are added only when it is
          // the same workload (a SPIFFE ID and Hubble's `ns/<service account>` are one), so policies
          // selecting by app label match an Envoy line as they match Hubble's.
          if (
            identity !== undefined &&
            (typeof identity !== 'string' ||
              canonicalWorkload(identity) !== canonicalWorkload(known.identity))
          )
            continue
          if (identity === undefined) event[side.identity] = known.identity
          event[side.pod] ??= known.pod
          if (known.app !== undefined) event[side.app] ??= known.app
          filled++
        }
      }
      return filled
    },
    lookup,
    get size() {
      return byIp.size
    },
  }
}
