import type { IntentVerdict, WorkloadRef } from '@palisade/intent'
import { type AnyEvent, type FlowEvent, partitionKey, type Severity } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType, type RuleContext } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'
import {
  destinationOf,
  formatTarget,
  formatTime,
  isReply,
  pivotEntities,
  serverPortOf,
  sourceOf,
} from './endpoint.ts'

const params = z.strictObject({
  /** After a finding for a (destination, port), the next one for it waits this long (default 1h). */
  rearm_after: duration.default(60 * 60_000),
  /** Most (destination, port) pairs remembered per source (default 1,000); the oldest are forgotten first. */
  max_pairs: z.number().int().min(1).max(100_000).default(1000),
})

type Params = z.output<typeof params>

/** What `cross_namespace` remembers per source workload. */
export interface CrossNamespaceState {
  /** `destination key:port` → event time of its last finding, ms. */
  fired: Record<string, number>
  count: number
  /**
   * Pairs a declared change added (→ when first seen): quiet after the change window too, since the
   * change declared the edge; a policy not updated to match is policy drift, not lateral movement.
   */
  declared: Record<string, number>
  declaredCount: number
}

/**
 * Cross-namespace (and cross-tenant) access that intent forbids: an allowed flow from a workload in
 * one namespace to a workload in another, which the declared NetworkPolicy or AuthorizationPolicy
 * denies. Pages when the destination is declared sensitive or the two namespaces belong to
 * different declared tenants, tickets otherwise. Quiet for edges a running declared change adds and
 * for monitoring workloads. One finding per source, destination and port, re-armed after
 * `rearm_after`. Keyed by the flow's partition key (the source).
 */
export function crossNamespaceDetector(context: RuleContext<Params>): Detector<CrossNamespaceState> {
  const { intent } = context
  const { rearm_after: rearmAfter, max_pairs: maxPairs } = context.params

  /** Make room: forget pairs past their re-arm time, then the oldest down to three quarters (amortised O(log n)). */
  function forgetOldest(state: CrossNamespaceState, now: number): void {
    for (const key in state.fired) {
      if (Math.abs(now - state.fired[key]!) >= rearmAfter) {
        delete state.fired[key]
        state.count--
      }
    }
    const keep = Math.floor((maxPairs * 3) / 4)
    if (state.count <= keep) return
    const oldest = Object.entries(state.fired).sort((x, y) => x[1] - y[1])
    for (const [key] of oldest.slice(0, state.count - keep)) delete state.fired[key]
    state.count = keep
  }

  // Intent answers do not change while the detector runs: remember the pairs intent allows, so
  // ordinary cross-namespace traffic costs one look-up. Bounded; cleared when full.
  const allowedPairs = new Set<string>()
  function verdictsOf(
    key: string,
    from: WorkloadRef,
    to: WorkloadRef,
    port: number,
    protocol: string,
  ): { network: IntentVerdict; authorization: IntentVerdict | undefined } | undefined {
    if (allowedPairs.has(key)) return undefined
    const network = intent.networkVerdict(from, to, port, protocol)
    if (network.verdict === 'denied') return { network, authorization: undefined }
    const authorization = intent.authorizationVerdict(from, to, { port })
    if (authorization.verdict === 'denied') return { network, authorization }
    if (allowedPairs.size >= 50_000) allowedPairs.clear()
    allowedPairs.add(key)
    return undefined
  }

  return {
    id: context.id,
    kinds: ['flow'],
    // A reply (a SYN-ACK, a DNS answer) is the server answering, not reaching the client's port.
    accepts: (event) => (event as FlowEvent).verdict === 'allowed' && !isReply(event as FlowEvent),
    partitioning: 'event',
    keyOf: (event) => partitionKey('flow', event as FlowEvent),
    initialState: () => ({ fired: {}, count: 0, declared: {}, declaredCount: 0 }),
    step(state, event: AnyEvent): DetectedFinding[] {
      const flow = event as FlowEvent
      if (flow.verdict !== 'allowed' || isReply(flow)) return []
      const port = serverPortOf(flow)
      const src = sourceOf(flow)
      const from = src?.workload
      if (!src || !from) return []
      const dst = destinationOf(flow)
      const to = dst?.workload
      if (!dst || !to) return []
      const fromTenant = intent.tenantOfNamespace(from.namespace)
      const toTenant = intent.tenantOfNamespace(to.namespace)
      if (from.namespace === to.namespace && fromTenant === toTenant) return []
      const pair = `${dst.key}:${port}`
      const last = state.fired[pair]
      if (last !== undefined && Math.abs(flow.ts - last) < rearmAfter) return []
      if (state.declared[pair] !== undefined || intent.isMonitoring(from)) return []
      const verdicts = verdictsOf(`${src.key}>${pair}/${flow.protocol}`, from, to, port, flow.protocol)
      if (!verdicts) return []
      const { network, authorization } = verdicts
      const denying = network.verdict === 'denied' ? network : authorization
      if (!denying) return []
      if (intent.isDeclaredEdge(flow.ts, from, to, port)) {
        if (state.declaredCount < maxPairs) {
          state.declared[pair] = flow.ts
          state.declaredCount++
        }
        return []
      }

      if (last === undefined) {
        if (state.count >= maxPairs) forgetOldest(state, flow.ts)
        state.count++
      }
      state.fired[pair] = flow.ts
      const sensitive = intent.isSensitive(to)
      const crossTenant = fromTenant !== undefined && toTenant !== undefined && fromTenant !== toTenant
      const severity: Severity = sensitive || crossTenant ? 'page' : 'ticket'
      const policy = network.verdict === 'denied' ? 'network policy' : 'authorization policy'
      const crossing = crossTenant
        ? `from tenant ${fromTenant} (namespace ${from.namespace}) into tenant ${toTenant} (namespace ${to.namespace})`
        : `from namespace ${from.namespace} into namespace ${to.namespace}`
      const target = formatTarget(dst.name, port)
      return [
        buildFinding(context, {
          tenant: flow.tenant,
          ts: flow.ts,
          identity: { source: src.key, destination: dst.key, port, at: flow.ts },
          severity,
          title: `${src.name} reached ${target} across namespaces, against declared intent`,
          summary:
            `${src.name} reached ${target} at ${formatTime(flow.ts)} (flow allowed by the enforcement point), ` +
            `${crossing}, although the declared ${policy} denies it (${denying.by ?? 'no declaration named'}).` +
            (sensitive ? ` ${dst.name} is declared sensitive.` : '') +
            (crossTenant ? ' Tenants are meant to be isolated.' : '') +
            ` An allowed path that intent forbids means enforcement does not match what was declared, a way for a ` +
            `compromised workload to move laterally; the next finding for this pair waits ${formatSpan(rearmAfter)}.`,
          entities: {
            src_identity: src.name,
            src_workload: src.key,
            dst_identity: dst.name,
            dst_workload: dst.key,
            dst_port: String(port),
            ...pivotEntities('src', src),
            ...pivotEntities('dst', dst),
            src_namespace: from.namespace,
            dst_namespace: to.namespace,
            ...(fromTenant !== undefined ? { src_tenant: fromTenant } : {}),
            ...(toTenant !== undefined ? { dst_tenant: toTenant } : {}),
          },
          evidence: {
            event_ids: [flow.event_id],
            first_ts: flow.ts,
            verdict: flow.verdict,
            network_verdict: network.verdict,
            ...(network.by !== undefined ? { network_by: network.by } : {}),
            ...(authorization ? { authorization_verdict: authorization.verdict } : {}),
            ...(authorization?.by !== undefined ? { authorization_by: authorization.by } : {}),
            sensitive_destination: sensitive,
            cross_tenant: crossTenant,
            bytes_sent: flow.bytes_sent,
            bytes_received: flow.bytes_received,
            rearm_after_ms: rearmAfter,
          },
        }),
      ]
    },
  }
}

/** `cross_namespace`: allowed access between namespaces or tenants that declared intent denies. */
export const crossNamespaceType = defineDetectorType({
  name: 'cross_namespace',
  description:
    'An allowed flow between namespaces (or tenants) that declared network or authorization policy denies',
  params,
  create: (context) => crossNamespaceDetector(context),
})
