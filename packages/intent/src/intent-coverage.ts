import { type DeclaredIntent, parseWorkload } from './declared-intent.ts'

/** An edge seen in traffic: caller and callee as the records name them, and the port. */
export interface ObservedEdge {
  src: string
  dst: string
  port: number
}

/** A share of things that meet a bar: `covered` of `total`, and a few that do not, by name. */
export interface CoverageFigure {
  covered: number
  total: number
  /** Up to 10 that do not meet it (edges as `src → dst:port`, destinations as `ns/name`). */
  gaps: string[]
}

/** Compliance posture from declared intent against observed traffic. */
export interface IntentCoverage {
  /** Observed workload-to-workload edges that some declared policy (network or authorization) decides. */
  policyAsCode: CoverageFigure
  /** Observed destination workloads that a caller nobody declared would be refused by (default deny). */
  defaultDeny: CoverageFigure
  /** Observed destination workloads whose declared mTLS mode is STRICT. */
  strictMtls: CoverageFigure
  /** Edges left out: an end that is not a workload (an IP, an external host). */
  notWorkloads: number
}

const STRANGER_IP = '192.0.2.1' // TEST-NET-1: a caller no policy can have declared

function figure(): CoverageFigure {
  return { covered: 0, total: 0, gaps: [] }
}

function count(target: CoverageFigure, ok: boolean, name: string): void {
  target.total++
  if (ok) target.covered++
  else if (target.gaps.length < 10) target.gaps.push(name)
}

/**
 * How much of the observed perimeter the declared intent covers: each edge between workloads,
 * whether a declared network or authorization policy decides it (policy-as-code); each
 * destination, whether a stranger is refused by declared policy (default deny) and whether its
 * declared mTLS mode is STRICT. Pure: the edges are given.
 */
export function intentCoverage(intent: DeclaredIntent, edges: readonly ObservedEdge[]): IntentCoverage {
  const coverage: IntentCoverage = {
    policyAsCode: figure(),
    defaultDeny: figure(),
    strictMtls: figure(),
    notWorkloads: 0,
  }
  const destinations = new Map<string, { ref: NonNullable<ReturnType<typeof parseWorkload>>; port: number }>()
  for (const edge of edges) {
    const src = parseWorkload(edge.src)
    const dst = parseWorkload(edge.dst)
    if (!src || !dst) {
      coverage.notWorkloads++
      continue
    }
    const decided =
      intent.networkVerdict(src, dst, edge.port).verdict !== 'unrestricted' ||
      intent.authorizationVerdict(src, dst, { port: edge.port }).verdict !== 'unrestricted'
    count(
      coverage.policyAsCode,
      decided,
      `${src.namespace}/${src.name} → ${dst.namespace}/${dst.name}:${edge.port}`,
    )
    destinations.set(`${dst.namespace}/${dst.name}`, { ref: dst, port: edge.port })
  }
  for (const [name, { ref, port }] of destinations) {
    const stranger = intent.networkVerdict(undefined, ref, port, undefined, { srcIp: STRANGER_IP })
    count(coverage.defaultDeny, stranger.verdict === 'denied', name)
    count(coverage.strictMtls, intent.mtlsMode(ref, port).mode === 'STRICT', name)
  }
  return coverage
}
