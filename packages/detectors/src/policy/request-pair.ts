import { canonicalWorkload, type DecisionEvent } from '@palisade/schema'
import { memoize } from './memo.ts'

const idLike = /^(?:\d+|[0-9a-f-]{16,}|(?=[A-Za-z0-9_.~-]*\d)[A-Za-z0-9_.~-]{8,})$/i

/**
 * The shape of a request path, so that one endpoint is one pair however many objects it serves:
 * the query string goes, and segments that look like ids (numbers, UUIDs and hashes, long tokens
 * holding digits) become `*`: `/v1/charges/ch_3Nx8Yq2e?expand=x` → `/v1/charges/*`.
 */
export function resourceShape(resource: string | undefined): string {
  if (resource === undefined || resource === '') return '-'
  return shapeOf(resource)
}

/** Workload names as keys (`spiffe://td/ns/a/sa/b` → `a/b`), remembered for the frequent ones. */
export const canonicalName = memoize(canonicalWorkload)

const shapeOf = memoize((resource: string): string => {
  const query = resource.indexOf('?')
  const path = query >= 0 ? resource.slice(0, query) : resource
  if (!/\d/.test(path)) return path
  return path
    .split('/')
    .map((segment) => (idLike.test(segment) ? '*' : segment))
    .join('/')
})

/** Who asked, as the record names it: the calling workload, else the subject. */
export function callerOf(decision: DecisionEvent): string | undefined {
  return decision.src_identity ?? decision.subject
}

/** What was called, as the record names it: the called workload, else the service. */
export function calleeOf(decision: DecisionEvent): string {
  return decision.dst_identity ?? decision.service
}

/**
 * A decision's (caller, callee, action, resource shape) pair: the key (canonical workloads, so
 * SPIFFE IDs and `namespace/name` agree) and a label naming them as the record does.
 */
export function requestPair(decision: DecisionEvent): { key: string; label: string } {
  const caller = callerOf(decision)
  const callee = calleeOf(decision)
  const action = decision.action ?? '-'
  const shape = resourceShape(decision.resource)
  return {
    key: `${caller === undefined ? '-' : canonicalName(caller)}|${canonicalName(callee)}|${action}|${shape}`,
    label: `${caller ?? '(no caller identity)'} → ${callee} ${action} ${shape}`,
  }
}
