import { ScenarioMeshUnknownError } from './errors.ts'
import { enforcementPoint, type MeshWorkload, meshWorkloads } from './scenario-mesh.ts'

const hourMs = 3_600_000
const dayMs = 24 * hourMs

/** The OPA bundle's policy entry point, as decision logs name it (`path`). */
export const authzPolicyId = 'envoy/authz/allow'

/** One enforcement point taking a new bundle revision. */
export interface RevisionChange {
  ts: number
  enforcementPoint: string
  revision: string
  previous: string
}

/** The OPA enforcement points: the ext_authz in front of each workload that has one. */
export const opaEnforcementPoints: readonly string[] = meshWorkloads
  .filter((workload) => workload.opa)
  .map(enforcementPoint)

/** The workload an enforcement point protects. */
export function enforcementPointWorkload(ep: string): MeshWorkload {
  const workload = meshWorkloads.find((candidate) => candidate.opa && enforcementPoint(candidate) === ep)
  if (workload === undefined) throw new ScenarioMeshUnknownError(`enforcement point ${ep}`)
  return workload
}

/** Where the regression and the version skew happen on the last day. */
export const rolloutTimes = (lastDay: number) => ({
  /** rev-41 → rev-42: denies checkout's charges at payments-envoy; cart-envoy does not take it. */
  regression: lastDay + 13.5 * hourMs,
  /** rev-43 fixes the charges rule (roll forward), still not on cart-envoy. */
  fix: lastDay + 14.5 * hourMs,
  /** cart-envoy finally takes rev-43. */
  skewEnd: lastDay + 15.5 * hourMs,
})

/**
 * The bundle revisions of every enforcement point over the scenario: rev-40 at the start, a
 * harmless rollout to rev-41 on day 2 (the first day when the scenario has two), and on the last day
 * rev-42 (a regression), rev-43 (its fix), with cart-envoy stuck on rev-41 for two hours.
 * Without `incidents`, one clean rollout a day instead.
 */
export function createPolicyTimeline(start: number, days: number, incidents = true) {
  const lastDay = start + (days - 1) * dayMs
  const initial = days >= 2 ? 'rev-40' : 'rev-41'
  const changes: RevisionChange[] = []
  const current = new Map(opaEnforcementPoints.map((ep) => [ep, initial]))
  const roll = (at: number, revision: string, points: readonly string[]) => {
    points.forEach((ep, index) => {
      changes.push({ ts: at + index * 15_000, enforcementPoint: ep, revision, previous: current.get(ep)! })
      current.set(ep, revision)
    })
  }
  if (!incidents) {
    // Without incidents (a soak): a clean rollout to every enforcement point each working morning.
    for (let day = 1; day < days; day++)
      roll(start + day * dayMs + 11 * hourMs, `rev-${40 + day}`, opaEnforcementPoints)
  } else {
    if (days >= 2) roll(start + Math.min(1, days - 2) * dayMs + 11 * hourMs, 'rev-41', opaEnforcementPoints)
    const times = rolloutTimes(lastDay)
    const withoutCart = opaEnforcementPoints.filter((ep) => ep !== 'cart-envoy')
    roll(times.regression, 'rev-42', withoutCart)
    roll(times.fix, 'rev-43', withoutCart)
    roll(times.skewEnd, 'rev-43', ['cart-envoy'])
  }
  changes.sort((a, b) => a.ts - b.ts)
  const byPoint = new Map<string, RevisionChange[]>()
  for (const change of changes) {
    const list = byPoint.get(change.enforcementPoint) ?? []
    list.push(change)
    byPoint.set(change.enforcementPoint, list)
  }
  return {
    initial,
    changes,
    /** The revision an enforcement point evaluates with at `ts`. */
    revisionAt(enforcementPoint: string, ts: number): string {
      let revision = initial
      for (const change of byPoint.get(enforcementPoint) ?? []) {
        if (change.ts > ts) break
        revision = change.revision
      }
      return revision
    },
    /** Whether a revision's rules deny a request that every other revision allows (the rev-42 regression). */
    regressionDenies(revision: string, enforcementPoint: string, from: string, method: string, path: string) {
      return (
        incidents &&
        revision === 'rev-42' &&
        enforcementPoint === 'payments-envoy' &&
        from === 'shop/checkout' &&
        method === 'POST' &&
        path === '/v1/charges'
      )
    },
  }
}

export type PolicyTimeline = ReturnType<typeof createPolicyTimeline>
