import { canonicalWorkload } from '@palisade/schema'
import { BoundedMemo } from './bounded-memo.ts'

/**
 * Declared intent: what the perimeter is meant to be. Built from the files users already keep
 * (Kubernetes NetworkPolicy, CiliumNetworkPolicy, Istio PeerAuthentication and AuthorizationPolicy)
 * plus one small `PalisadeIntent` file for what those cannot say. Pure data and pure queries:
 * detectors ask it questions, it never does I/O after loading.
 */

/** A workload as the records name it: SPIFFE `spiffe://<td>/ns/<namespace>/sa/<name>` or `<namespace>/<name>`. */
export interface WorkloadRef {
  namespace: string
  /** Service account / workload name; matched against pod selectors' `app` (or `app.kubernetes.io/name`) label. */
  name: string
  /**
   * Other names of the same workload in its namespace: the app label a record carries beside the
   * service account (Hubble), names declared the same workload in intent (`workloadAliases`).
   * Intent matches a declaration naming any of them.
   */
  aliases?: readonly string[]
}

/** Every name a workload goes by in its namespace: its name first, then its aliases. */
export function workloadNames(workload: WorkloadRef): readonly string[] {
  return workload.aliases === undefined || workload.aliases.length === 0
    ? [workload.name]
    : [workload.name, ...workload.aliases]
}

/** Whether a workload goes by `name` in its namespace. */
export function goesBy(workload: WorkloadRef, name: string): boolean {
  return workload.name === name || (workload.aliases?.includes(name) ?? false)
}

/** The answer to "may this happen?", naming the declaration that decided. */
export interface IntentVerdict {
  /**
   * `allowed`: a declaration selects the destination and allows this; `denied`: a declaration
   * selects the destination and this is not allowed (or an explicit deny); `unrestricted`: nothing
   * declared selects the destination (Kubernetes default: allowed, but nobody vouched for it).
   */
  verdict: 'allowed' | 'denied' | 'unrestricted'
  /** `<Kind>/<namespace>/<name>` of the deciding declaration(s), when there is one. */
  by?: string
}

/** Istio mTLS mode in force for a destination workload (and port). */
export interface MtlsIntent {
  mode: 'STRICT' | 'PERMISSIVE' | 'DISABLE' | 'UNSET'
  by?: string
}

/** A declared change window (change calendar / declared rollout). */
export interface DeclaredChange {
  id: string
  from: number
  to: number
  description?: string
  /** Workloads the change touches (empty: any). */
  workloads: WorkloadRef[]
  /** Policy ids / bundles the change rolls out (empty: any). */
  policies: string[]
  /** Edges the change is declared to add. */
  addsEdges: { from: WorkloadRef; to: WorkloadRef; port?: number }[]
}

export interface DeclaredIntent {
  /** Files and documents it was loaded from, for messages. */
  sources: string[]
  /**
   * Network policy (NetworkPolicy + CiliumNetworkPolicy) for a flow between two workloads. `protocol`
   * is compared case-insensitively (any when omitted); `addresses` lets ipBlock / CIDR rules decide
   * for a source that is not a workload.
   */
  networkVerdict(
    src: WorkloadRef | undefined,
    dst: WorkloadRef,
    port: number,
    protocol?: string,
    addresses?: { srcIp?: string; dstIp?: string },
  ): IntentVerdict
  /** Istio AuthorizationPolicy for a request from `src` (principal or workload) to `dst`. */
  authorizationVerdict(
    src: WorkloadRef | undefined,
    dst: WorkloadRef,
    request?: { port?: number; path?: string; method?: string },
  ): IntentVerdict
  /** PeerAuthentication mode for a destination workload and port (port-level exceptions honoured). */
  mtlsMode(dst: WorkloadRef, port?: number): MtlsIntent
  /** Whether an external destination is declared egress (by host name, CIDR and port). */
  declaredEgress(dst: { ip?: string; host?: string; port?: number }): { declared: boolean; by?: string }
  /**
   * The declared egress given by address (CIDR, or one address as /32 or /128) with its ports
   * (undefined: any port), for queries over stored flows; declarations by host name are left out,
   * since flow records carry addresses.
   */
  declaredEgressRanges(): readonly DeclaredEgressRange[]
  /** Whether a client address is a known corporate/VPN egress (by CIDR or ASN). */
  isCorporateEgress(client: { ip?: string; asn?: number }): boolean
  /** Declared changes whose window covers `ts` (optionally touching a workload or a policy). */
  changesAt(ts: number, target?: { workload?: WorkloadRef; policy?: string }): DeclaredChange[]
  /** Whether an edge is declared added by a change whose window covers `ts`. */
  isDeclaredEdge(ts: number, from: WorkloadRef, to: WorkloadRef, port?: number): DeclaredChange | undefined
  /** Sensitive services (databases, secrets, payments): lateral movement reaching them pages. */
  isSensitive(workload: WorkloadRef): boolean
  /** Monitoring/scanner workloads whose fan-out is expected (Prometheus, vulnerability scanners). */
  isMonitoring(workload: WorkloadRef): boolean
  /** Known noisy drops, declared so that they never raise findings. */
  isKnownDrop(src: WorkloadRef | undefined, dst: WorkloadRef | undefined, port?: number): boolean
  /** Whether a principal (as sign-in records name it) is a declared privileged account (case-insensitive). */
  isPrivileged(principal: string): boolean
  /** Tenant owning a namespace, when declared (cross-tenant access); undefined when not declared. */
  tenantOfNamespace(namespace: string): string | undefined
}

/**
 * Workloads parsed, by identity: each detector asks for the same few identities on every event
 * (a sixtieth of the all-in-one's ingest time went to parsing them again).
 */
const parsedWorkloads = new BoundedMemo<Readonly<WorkloadRef> | undefined>(10_000)

/**
 * Parse a workload identity as the records carry it; undefined when it is not one (an IP, a host).
 * Parsed once per identity: the answer is shared, and frozen so that no caller changes it for the others.
 */
export function parseWorkload(identity: string | undefined): Readonly<WorkloadRef> | undefined {
  if (!identity) return undefined
  return parsedWorkloads.get(identity, () => {
    // One reading of SPIFFE IDs for the whole project: the schema's, which also keys the bus.
    const workload = canonicalWorkload(identity)
    const slash = workload.indexOf('/')
    if (slash > 0 && slash === workload.lastIndexOf('/') && !workload.includes(':')) {
      return Object.freeze({ namespace: workload.slice(0, slash), name: workload.slice(slash + 1) })
    }
    return undefined
  })
}

/** Egress declared by address: a range, its ports (undefined: any) and the ranges it leaves out. */
export interface DeclaredEgressRange {
  cidr: string
  ports?: readonly number[]
  except?: readonly string[]
}
