import type { DeclaredIntent } from '@palisade/intent'

/**
 * A declared intent for unit tests: nothing declared (everything `unrestricted`, mTLS `UNSET`, no
 * egress, no changes) except the answers given. Rule files' inline tests use real manifests instead.
 */
export function intentWith(answers: Partial<DeclaredIntent> = {}): DeclaredIntent {
  return {
    sources: [],
    networkVerdict: () => ({ verdict: 'unrestricted' }),
    authorizationVerdict: () => ({ verdict: 'unrestricted' }),
    mtlsMode: () => ({ mode: 'UNSET' }),
    declaredEgress: () => ({ declared: false }),
    declaredEgressRanges: () => [],
    isCorporateEgress: () => false,
    changesAt: () => [],
    isDeclaredEdge: () => undefined,
    isSensitive: () => false,
    isMonitoring: () => false,
    isKnownDrop: () => false,
    isPrivileged: () => false,
    tenantOfNamespace: () => undefined,
    ...answers,
  }
}
