import type { MtlsIntent, WorkloadRef } from './declared-intent.ts'
import type { DocumentContext } from './document-context.ts'
import type { PeerAuthenticationDocument } from './intent-schemas.ts'
import type { WorkloadSelector } from './workload-selector.ts'

type MtlsMode = MtlsIntent['mode']

/** One PeerAuthentication, placed at its level of the Istio hierarchy. */
export interface PeerAuthenticationPolicy {
  id: string
  namespace: string
  level: 'mesh' | 'namespace' | 'workload'
  selector?: WorkloadSelector
  /** The selector as written (`app=postgres`), for reports; workload level only. */
  target?: string
  mode: MtlsMode
  /** Port-level modes (workload level only, as in Istio). */
  ports: ReadonlyMap<number, MtlsMode>
}

/**
 * Place a PeerAuthentication: no selector in the root namespace is mesh-wide, no selector elsewhere
 * namespace-wide, a selector workload-level. Istio ignores selectors in the root namespace and
 * port-level settings without a selector; so do we, with a warning.
 */
export function compilePeerAuthentication(
  document: PeerAuthenticationDocument,
  context: DocumentContext,
  rootNamespace: string,
): PeerAuthenticationPolicy | undefined {
  const spec = document.spec ?? {}
  const hasSelector = Object.keys(spec.selector?.matchLabels ?? {}).length > 0
  const mode = spec.mtls?.mode ?? 'UNSET'
  if (hasSelector && context.namespace === rootNamespace) {
    context.report(
      ['spec', 'selector'],
      `ignored by Istio: PeerAuthentication with a workload selector in the root namespace (${rootNamespace})`,
      'warning',
    )
    return undefined
  }
  const ports = new Map<number, MtlsMode>()
  for (const [port, setting] of Object.entries(spec.portLevelMtls ?? {})) {
    if (!hasSelector) {
      context.report(
        ['spec', 'portLevelMtls'],
        'ignored: Istio applies portLevelMtls only with a workload selector',
        'warning',
      )
      break
    }
    ports.set(Number(port), setting.mode ?? 'UNSET')
  }
  if (!hasSelector) {
    const level = context.namespace === rootNamespace ? 'mesh' : 'namespace'
    return { id: context.id, namespace: context.namespace, level, mode, ports }
  }
  const selector = context.selector(spec.selector, 'pod', ['spec', 'selector'])
  const target = Object.entries(spec.selector?.matchLabels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(',')
  return { id: context.id, namespace: context.namespace, level: 'workload', selector, target, mode, ports }
}

/** PeerAuthentication resolution: workload (port, then workload mode) > namespace > mesh; UNSET inherits. */
export class PeerAuthenticationIndex {
  private mesh: PeerAuthenticationPolicy | undefined
  private readonly namespaces = new Map<string, PeerAuthenticationPolicy>()
  private readonly workloads = new Map<string, PeerAuthenticationPolicy[]>()

  /** Add a policy; a second mesh-wide or namespace-wide one is reported (Istio keeps the oldest, we the first). */
  add(policy: PeerAuthenticationPolicy, context: DocumentContext): void {
    if (policy.level === 'mesh') {
      if (this.mesh)
        context.report([], `a second mesh-wide PeerAuthentication; ${this.mesh.id} is used`, 'warning')
      else this.mesh = policy
    } else if (policy.level === 'namespace') {
      const existing = this.namespaces.get(policy.namespace)
      if (existing)
        context.report([], `a second namespace-wide PeerAuthentication; ${existing.id} is used`, 'warning')
      else this.namespaces.set(policy.namespace, policy)
    } else {
      const list = this.workloads.get(policy.namespace)
      if (list) list.push(policy)
      else this.workloads.set(policy.namespace, [policy])
    }
  }

  mode(dst: WorkloadRef, port: number | undefined): MtlsIntent {
    const workload = this.workloads.get(dst.namespace)?.find((policy) => policy.selector?.matches(dst))
    if (workload && port !== undefined) {
      const portMode = workload.ports.get(port)
      if (portMode !== undefined && portMode !== 'UNSET') return { mode: portMode, by: workload.id }
    }
    for (const policy of [workload, this.namespaces.get(dst.namespace), this.mesh]) {
      if (policy && policy.mode !== 'UNSET') return { mode: policy.mode, by: policy.id }
    }
    return { mode: 'UNSET' }
  }

  /** Every policy, mesh first, for reports. */
  all(): PeerAuthenticationPolicy[] {
    return [
      ...(this.mesh ? [this.mesh] : []),
      ...this.namespaces.values(),
      ...[...this.workloads.values()].flat(),
    ]
  }
}
