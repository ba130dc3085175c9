import { parseWorkload, type WorkloadRef } from '@palisade/intent'
import { canonicalWorkload, type DecisionEvent, type FlowEvent } from '@palisade/schema'

/**
 * One end of a flow as the lateral and egress detectors compare it: `name` as the record wrote it
 * (for entities and summaries), `key` one name per workload whichever source reported it
 * (`spiffe://td/ns/a/sa/b` and Hubble's `a/b` are both `a/b`; an IP stays an IP), for state.
 */
export interface Endpoint {
  /** As the record names it: SPIFFE ID, `namespace/workload`, Cilium reserved identity or IP. */
  name: string
  /** Canonical: `namespace/workload` for workloads, else the identity or the IP. */
  key: string
  /** The workload, when the identity names one (what intent is asked about). */
  workload: WorkloadRef | undefined
  /** Outside the cluster and the private networks: egress's business, not lateral movement's. */
  external: boolean
  /** The pod (`namespace/pod`), when the record names it. */
  pod?: string | undefined
  /** The address, when the record gives one. */
  ip?: string | undefined
}

/**
 * Each parsed workload (shared and frozen, see `parseWorkload`) with the app labels seen beside it,
 * made once: several detectors ask for every flow's two ends, and a copy per question was garbage
 * on every event. Held weakly by the workload, so it goes when the parse memo drops that; at most
 * {@link maxAppsPerWorkload} labels per workload are kept (a label comes from the client).
 */
const withAppByWorkload = new WeakMap<WorkloadRef, Map<string, Readonly<WorkloadRef>>>()
const maxAppsPerWorkload = 64

/** The workload with the app label its record carries beside it as another name (intent matches either). */
export function withApp(workload: WorkloadRef | undefined, app: string | undefined): WorkloadRef | undefined {
  if (workload === undefined || app === undefined || app === workload.name) return workload
  let byApp = withAppByWorkload.get(workload)
  if (byApp === undefined) {
    byApp = new Map()
    withAppByWorkload.set(workload, byApp)
  }
  let aliased = byApp.get(app)
  if (aliased === undefined) {
    aliased = Object.freeze({ ...workload, aliases: Object.freeze([app]) })
    if (byApp.size < maxAppsPerWorkload) byApp.set(app, aliased)
  }
  return aliased
}

function workloadOf(identity: string, app: string | undefined): WorkloadRef | undefined {
  return withApp(parseWorkload(identity), app)
}

/**
 * Whether a flow is the server's answer in a connection someone else opened (a SYN-ACK, a DNS
 * answer): the format decided it (`is_reply`). Detectors of who reaches whom skip replies.
 */
export function isReply(flow: FlowEvent): boolean {
  return flow.is_reply === true
}

/** The port the flow's connection was opened to, as the format decided it; else the destination port. */
export function serverPortOf(flow: FlowEvent): number {
  return flow.server_port ?? flow.dst_port
}

/**
 * The names analysts pivot on, as the records give them, beside the workload: `<role>_pod`,
 * `<role>_ip` and `<role>_spiffe_id` (when the identity is one), each only when known.
 */
export function pivotEntities(role: 'src' | 'dst', endpoint: Endpoint | undefined): Record<string, string> {
  if (endpoint === undefined) return {}
  const entities: Record<string, string> = {}
  if (endpoint.pod !== undefined) entities[`${role}_pod`] = endpoint.pod
  if (endpoint.ip !== undefined) entities[`${role}_ip`] = endpoint.ip
  if (endpoint.name.startsWith('spiffe://')) entities[`${role}_spiffe_id`] = endpoint.name
  return entities
}

/** Cilium's identity for anything outside the cluster: `reserved:world` (`-ipv4`/`-ipv6` since 1.15), or `world`. */
export function isWorldIdentity(identity: string): boolean {
  return identity === 'world' || identity.startsWith('reserved:world')
}

/**
 * Whether an address is not on the public internet: RFC 1918, loopback, link-local, carrier-grade
 * NAT (RFC 6598), "this network", multicast and reserved (IPv4); loopback, unspecified, ULA
 * (fc00::/7), link-local (fe80::/10), multicast (IPv6); IPv4-mapped IPv6 as its IPv4 address.
 * Documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) count as public: demos use
 * them for the internet.
 */
export function isInternalAddress(ip: string): boolean {
  if (ip.includes(':')) {
    const lower = ip.toLowerCase()
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
    if (mapped) return isInternalAddress(mapped[1]!)
    if (lower === '::1' || lower === '::') return true
    const head = Number.parseInt(lower.slice(0, lower.indexOf(':')) || '0', 16)
    return (head & 0xfe00) === 0xfc00 || (head & 0xffc0) === 0xfe80 || (head & 0xff00) === 0xff00
  }
  const firstDot = ip.indexOf('.')
  const a = Number(ip.slice(0, firstDot))
  const b = Number(ip.slice(firstDot + 1, ip.indexOf('.', firstDot + 1)))
  return (
    a === 10 ||
    a === 127 ||
    a === 0 ||
    a >= 224 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127)
  )
}

/**
 * The source of a flow or decision, the workload whose behaviour these detectors follow; undefined
 * when there is none or it is not one of ours: the internet (`reserved:world`) or another of
 * Cilium's reserved identities (`reserved:host`, `reserved:kube-apiserver`, ...), which name many
 * machines at once.
 */
export function sourceOf(event: FlowEvent | DecisionEvent): Endpoint | undefined {
  const identity = event.src_identity ?? ('subject' in event ? event.subject : undefined)
  const flow = 'src_ip' in event || 'dst_port' in event ? (event as FlowEvent) : undefined
  const ip = flow?.src_ip
  if (identity !== undefined) {
    if (identity.startsWith('reserved:') || isWorldIdentity(identity)) return undefined
    return {
      name: identity,
      key: canonicalWorkload(identity),
      workload: workloadOf(identity, flow?.src_app),
      external: false,
      pod: flow?.src_pod,
      ip,
    }
  }
  if (ip === undefined) return undefined
  return { name: ip, key: ip, workload: undefined, external: !isInternalAddress(ip), ip }
}

/**
 * The destination of a flow: its workload identity when it has one (whatever its IP), else its IP,
 * external when public. A world identity without an IP is external and named by the identity.
 */
export function destinationOf(flow: FlowEvent): Endpoint | undefined {
  const identity = flow.dst_identity
  const ip = flow.dst_ip
  if (identity !== undefined && !isWorldIdentity(identity)) {
    return {
      name: identity,
      key: canonicalWorkload(identity),
      workload: workloadOf(identity, flow.dst_app),
      external: false,
      pod: flow.dst_pod,
      ip,
    }
  }
  if (ip !== undefined)
    return { name: ip, key: ip, workload: undefined, external: !isInternalAddress(ip), ip }
  return identity === undefined
    ? undefined
    : { name: identity, key: identity, workload: undefined, external: true }
}

/** The destination of a decision: the called workload (decisions name no addresses). */
export function decisionDestinationOf(decision: DecisionEvent): Endpoint | undefined {
  const identity = decision.dst_identity
  if (identity === undefined || isWorldIdentity(identity)) return undefined
  return {
    name: identity,
    key: canonicalWorkload(identity),
    workload: parseWorkload(identity),
    external: false,
  }
}

/** `1 port`, `3 ports`, `2 addresses` (with the plural given). */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`
}

/** `12.3 MB`, `2.0 GB`: bytes for a summary (decimal units, as network tools print them). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  const units = ['kB', 'MB', 'GB', 'TB', 'PB']
  let value = bytes / 1000
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`
}

/** `2026-01-05 10:03:12Z`: a time for a summary. */
export function formatTime(ts: number): string {
  return `${new Date(ts).toISOString().slice(0, 19).replace('T', ' ')}Z`
}

/** `10.0.0.5:22`, `[fd00::1]:22`, `data/postgres:5432`. */
export function formatTarget(name: string, port: number): string {
  return name.includes(':') && /^[0-9a-f:.]+$/i.test(name) ? `[${name}]:${port}` : `${name}:${port}`
}
