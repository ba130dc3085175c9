import { type WorkloadRef, workloadNames } from './declared-intent.ts'

/** A Kubernetes label selector as manifests write it (Istio's has `matchLabels` only). */
export interface LabelSelectorInput {
  matchLabels?: Record<string, string>
  matchExpressions?: {
    key: string
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'
    values?: string[]
  }[]
}

/**
 * Which labels a selector is read against: `pod` (NetworkPolicy podSelector, Istio selector),
 * `namespace` (NetworkPolicy namespaceSelector), `endpoint` (Cilium: pod and namespace labels,
 * optionally prefixed `k8s:` or `any:`).
 */
export type SelectorScope = 'pod' | 'namespace' | 'endpoint'

/** A selector compiled against workload identities: our records know a workload's namespace and name only. */
export interface WorkloadSelector {
  /** Whether it says something about the namespace (Cilium scopes selectors that do not to the policy's namespace). */
  constrainsNamespace: boolean
  /** Labels no workload identity can answer; a selector using one matches nothing. */
  unknownLabels: string[]
  /** True for an empty selector (`{}`): everything in scope. */
  empty: boolean
  matches(workload: WorkloadRef): boolean
}

type Attribute = 'name' | 'namespace'

const podLabels: Record<string, Attribute> = { app: 'name', 'app.kubernetes.io/name': 'name' }
const namespaceLabels: Record<string, Attribute> = { 'kubernetes.io/metadata.name': 'namespace' }
const endpointLabels: Record<string, Attribute> = {
  ...podLabels,
  'io.cilium.k8s.policy.serviceaccount': 'name',
  'io.kubernetes.pod.namespace': 'namespace',
  'io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name': 'namespace',
}

function attributeOf(key: string, scope: SelectorScope): Attribute | undefined {
  if (scope === 'pod') return podLabels[key]
  if (scope === 'namespace') return namespaceLabels[key]
  return endpointLabels[key.replace(/^(k8s|any):/, '')]
}

/** What to write instead of an unknown label, for the warning. */
export function selectorHint(scope: SelectorScope): string {
  if (scope === 'pod') return 'use app or app.kubernetes.io/name'
  if (scope === 'namespace') return 'use kubernetes.io/metadata.name'
  return 'use app, app.kubernetes.io/name or k8s:io.kubernetes.pod.namespace'
}

interface Constraint {
  attribute: Attribute
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'
  values: readonly string[]
}

/**
 * Compile a selector: `app` / `app.kubernetes.io/name` (and Cilium's service-account label) are the
 * workload name, namespace labels the namespace. Every workload is assumed to carry both, so
 * `Exists` on them always holds. An absent selector is empty: it selects everything in scope.
 */
export function compileSelector(
  input: LabelSelectorInput | undefined,
  scope: SelectorScope,
): WorkloadSelector {
  const constraints: Constraint[] = []
  const unknownLabels: string[] = []
  const add = (key: string, operator: Constraint['operator'], values: readonly string[]) => {
    const attribute = attributeOf(key, scope)
    if (attribute === undefined) unknownLabels.push(key)
    else constraints.push({ attribute, operator, values })
  }
  for (const [key, value] of Object.entries(input?.matchLabels ?? {})) add(key, 'In', [value])
  for (const expression of input?.matchExpressions ?? [])
    add(expression.key, expression.operator, expression.values ?? [])
  const empty = constraints.length === 0 && unknownLabels.length === 0
  return {
    constrainsNamespace: constraints.some((constraint) => constraint.attribute === 'namespace'),
    unknownLabels,
    empty,
    matches(workload) {
      if (unknownLabels.length > 0) return false
      for (const { attribute, operator, values } of constraints) {
        // A workload answers to each of its names (service account, app label, declared aliases).
        const names = attribute === 'namespace' ? [workload.namespace] : workloadNames(workload)
        const selected = names.some((name) => values.includes(name))
        if (operator === 'In' && !selected) return false
        if (operator === 'NotIn' && selected) return false
        if (operator === 'DoesNotExist') return false
      }
      return true
    },
  }
}
