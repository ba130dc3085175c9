import type { DecisionEvent } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'
import { buildFinding, defineDetectorType, evidenceIds } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'

/** One enforcement point of a policy: the revision it decides with. */
interface EnforcementPointRevision {
  /** Revision of its latest decision. */
  r: string
  /** When it started reporting that revision (its first decision with it), epoch ms. */
  since: number
  /** Its latest decision, epoch ms. */
  last: number
  /** Id of its latest decision. */
  id: string
}

/** One policy (bundle) across its enforcement points. */
interface PolicyRevisions {
  eps: Record<string, EnforcementPointRevision>
  count: number
  /** Live enforcement points per revision (as of the last recount, plus joins and switches since). */
  counts: Record<string, number>
  /** The revision most live enforcement points report, and since when the first of them did. */
  majority?: string
  majoritySince?: number
  /** Newest decision time seen for the policy, epoch ms. */
  now: number
  /** Next event time at which idle enforcement points are dropped and the majority re-counted. */
  nextCheck: number
  /** The majority revision whose laggards `reported` lists. */
  episode?: string
  /** Enforcement points already reported while `episode` is the majority. */
  reported: string[]
}

/** What the detector remembers per tenant (its key). */
export interface VersionSkewState {
  policies: Record<string, PolicyRevisions>
  count: number
}

const maxPolicies = 256
const maxEnforcementPoints = 1024
const checkEveryMs = 60_000

function iso(ts: number): string {
  return new Date(ts).toISOString()
}

/** When an enforcement point started to differ from the majority: it left it, or the majority moved on. */
function differingSince(ep: EnforcementPointRevision, policy: PolicyRevisions): number {
  return Math.max(ep.since, policy.majoritySince ?? ep.since)
}

/**
 * `version_skew`: enforcement points of one policy deciding with different revisions for longer
 * than a rollout takes. The majority revision of the live enforcement points (seen within
 * `idle_after`) is the fleet's; an enforcement point that still decides with another revision
 * `max_skew` after it started to differ (it left the majority, or the majority moved on without
 * it) is reported with every other such point, its revision and since when. The lagging point's
 * own decision proves it is still on its revision, so a quiet point is not mistaken for a stuck
 * one. Once per enforcement point per majority episode; quiet while a declared change window
 * (PalisadeIntent `spec.changes`) covers the policy, for declared canaries. Re-keyed by tenant.
 */
export const versionSkewType = defineDetectorType({
  name: 'version_skew',
  description:
    'Enforcement points of one policy deciding with different revisions for longer than a rollout takes',
  params: z.strictObject({
    /** How long enforcement points may differ before it is skew (a rollout's usual length, with margin). */
    max_skew: duration.default(30 * 60 * 1000),
    /** An enforcement point with no decision for this long is left out (gone, or another rule's gap). */
    idle_after: duration.default(60 * 60 * 1000),
  }),
  create(context): Detector<VersionSkewState> {
    const { max_skew: maxSkew, idle_after: idleAfter } = context.params
    const intent = context.intent

    function recount(policy: PolicyRevisions): void {
      const counts = new Map<string, { n: number; since: number }>()
      for (const [name, ep] of Object.entries(policy.eps)) {
        if (ep.last < policy.now - idleAfter) {
          delete policy.eps[name]
          policy.count--
          continue
        }
        const group = counts.get(ep.r)
        if (group) {
          group.n++
          if (ep.since < group.since) group.since = ep.since
        } else counts.set(ep.r, { n: 1, since: ep.since })
      }
      let best: [string, { n: number; since: number }] | undefined
      // Most enforcement points; on a tie, the revision that arrived last (a rollout half done).
      for (const entry of counts) {
        if (!best || entry[1].n > best[1].n || (entry[1].n === best[1].n && entry[1].since > best[1].since))
          best = entry
      }
      policy.counts = {}
      for (const [revision, group] of counts) policy.counts[revision] = group.n
      if (!best) {
        delete policy.majority
        delete policy.majoritySince
        return
      }
      policy.majority = best[0]
      // When the majority's revision took over: the first of its points to report it.
      policy.majoritySince = best[1].since
      if (policy.episode !== policy.majority) {
        policy.episode = policy.majority
        policy.reported = []
      }
    }

    return {
      id: context.id,
      kinds: ['decision'],
      accepts: (event) => {
        const decision = event as DecisionEvent
        return (
          decision.policy_revision !== undefined &&
          decision.enforcement_point !== undefined &&
          !decision.dry_run
        )
      },
      partitioning: 'rekeyed',
      keyOf: (event) => event.tenant,
      initialState: () => ({ policies: {}, count: 0 }),
      step(state, event): DetectedFinding[] {
        const decision = event as DecisionEvent
        const revision = decision.policy_revision
        const name = decision.enforcement_point
        if (revision === undefined || name === undefined) return []
        const policyId = decision.policy_id ?? '-'
        let policy = state.policies[policyId]
        if (policy === undefined) {
          if (state.count >= maxPolicies) {
            // Forget the policy quiet the longest.
            const quietest = Object.entries(state.policies).sort((a, b) => a[1].now - b[1].now)[0]
            if (quietest) {
              delete state.policies[quietest[0]]
              state.count--
            }
          }
          policy = {
            eps: {},
            count: 0,
            counts: {},
            now: decision.ts,
            nextCheck: decision.ts + checkEveryMs,
            reported: [],
          }
          state.policies[policyId] = policy
          state.count++
        }
        if (decision.ts > policy.now) policy.now = decision.ts
        let ep = policy.eps[name]
        // A join or a switch changes the counts; the majority is recounted (O(points)) only when
        // it may have changed, so that pods coming and going on the majority's revision stay cheap.
        let moved: { from?: string; to: string } | undefined
        if (ep === undefined) {
          if (policy.count >= maxEnforcementPoints) recount(policy)
          if (policy.count >= maxEnforcementPoints) return []
          ep = { r: revision, since: decision.ts, last: decision.ts, id: decision.event_id }
          policy.eps[name] = ep
          policy.count++
          moved = { to: revision }
        } else if (ep.r === revision) {
          if (decision.ts > ep.last) {
            ep.last = decision.ts
            ep.id = decision.event_id
          }
          if (decision.ts < ep.since) ep.since = decision.ts
        } else if (decision.ts >= ep.last) {
          // Switched revision. A late decision with the revision it left is ignored.
          moved = { from: ep.r, to: revision }
          ep.r = revision
          ep.since = decision.ts
          ep.last = decision.ts
          ep.id = decision.event_id
        } else return []
        if (decision.ts >= policy.nextCheck) {
          recount(policy)
          policy.nextCheck = policy.now + checkEveryMs
        } else if (moved) {
          if (moved.from !== undefined) policy.counts[moved.from] = (policy.counts[moved.from] ?? 1) - 1
          policy.counts[moved.to] = (policy.counts[moved.to] ?? 0) + 1
          const majorityCount = policy.majority === undefined ? 0 : (policy.counts[policy.majority] ?? 0)
          let most = 0
          for (const n of Object.values(policy.counts)) if (n > most) most = n
          if (
            moved.from === policy.majority ||
            majorityCount < most ||
            (majorityCount === most && moved.to !== policy.majority)
          )
            recount(policy)
          else if (moved.to === policy.majority && ep.since < (policy.majoritySince ?? ep.since))
            policy.majoritySince = ep.since
        }
        const majority = policy.majority
        if (majority === undefined || ep.r === majority) return []
        const differing = differingSince(ep, policy)
        if (ep.last - differing < maxSkew || policy.reported.includes(name)) return []
        if (intent.changesAt(decision.ts, { policy: policyId }).length > 0) return []
        // Every point differing for longer than max_skew that was not reported yet in this episode.
        const lagging = Object.entries(policy.eps)
          .filter(
            ([other, e]) =>
              e.r !== majority &&
              e.last - differingSince(e, policy) >= maxSkew &&
              !policy.reported.includes(other),
          )
          .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        const onMajority = Object.entries(policy.eps).filter(([, e]) => e.r === majority)
        policy.reported.push(...lagging.map(([other]) => other))
        const described = lagging
          .map(([other, e]) => `${other} on ${e.r} (since ${iso(e.since)}, last decision ${iso(e.last)})`)
          .join('; ')
        const majorityNames = onMajority.map(([other]) => other).sort()
        const shownMajority =
          majorityNames.slice(0, 8).join(', ') +
          (majorityNames.length > 8 ? `, and ${majorityNames.length - 8} more` : '')
        const skewFor = Math.max(...lagging.map(([, e]) => e.last - differingSince(e, policy)))
        const first = lagging[0]!
        return [
          buildFinding(context, {
            tenant: decision.tenant,
            ts: decision.ts,
            identity: {
              policy: policyId,
              majority,
              since: policy.majoritySince ?? null,
              eps: lagging.map(([other]) => other),
            },
            title: `Policy ${policyId}: ${lagging.length === 1 ? first[0] : `${lagging.length} enforcement points`} not on ${majority}`,
            summary:
              `Policy ${policyId} is enforced with different revisions: ${described}, while ${onMajority.length} ` +
              `enforcement point${onMajority.length === 1 ? '' : 's'} (${shownMajority}) decide with ${majority}, ` +
              `reported since ${iso(policy.majoritySince ?? decision.ts)}. The difference has lasted ${formatSpan(skewFor)}, ` +
              `at least the ${formatSpan(maxSkew)} a rollout may take: requests are judged by a policy that depends on ` +
              'which enforcement point they reach (a stuck bundle download or a failed rollout).',
            entities: {
              policy_id: policyId,
              enforcement_point: first[0],
              revision: first[1].r,
              majority_revision: majority,
            },
            evidence: {
              event_ids: evidenceIds(lagging.map(([, e]) => e.id)),
              lagging: lagging.map(([other, e]) => ({
                enforcement_point: other,
                revision: e.r,
                since: e.since,
                last: e.last,
              })),
              majority_revision: majority,
              majority_since: policy.majoritySince ?? null,
              majority_enforcement_points: majorityNames.slice(0, 50),
              skew_ms: skewFor,
              max_skew_ms: maxSkew,
            },
          }),
        ]
      },
    }
  },
})
