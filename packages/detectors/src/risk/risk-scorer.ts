import { canonicalWorkload, deriveEventId, type Finding, type Severity } from '@palisade/schema'
import { z } from 'zod'
import type { DetectedFinding } from '../detector.ts'
import { duration, formatSpan } from '../rules/duration.ts'

/** `alerts/risk.yaml`: how findings add up to an identity's risk. */
export const riskSettingsSchema = z.strictObject({
  id: z.string().default('risk.identity_score'),
  title: z.string().default('Identity risk score crossed its threshold'),
  /** Score at which the identity pages (once, until it falls back under half of it). */
  threshold: z.number().positive(),
  /** A contribution halves every `half_life` of event time. */
  half_life: duration,
  /** Contribution of a finding by severity, unless its rule has its own weight. */
  severity_weights: z.strictObject({
    page: z.number().min(0),
    ticket: z.number().min(0),
    info: z.number().min(0),
  }),
  rule_weights: z.record(z.string(), z.number().min(0)).default({}),
  /** Contributions older than this are forgotten (default 7 half-lives). */
  horizon: duration.optional(),
  runbook_url: z.url(),
  mitre: z.array(z.string()).default([]),
})
export type RiskSettings = z.output<typeof riskSettingsSchema>

/** One finding's part in a score. */
interface Contribution {
  rule: string
  finding_id: string
  ts: number
  weight: number
  title: string
}

/** What the scorer keeps per identity. */
export interface RiskState {
  contributions: Contribution[]
  /** Whether the score is over the threshold (paged); re-armed under half of it. */
  above: boolean
}

/** The identity a finding is about: the user, else the source workload (canonical), else none. */
export function riskIdentityOf(finding: Pick<Finding, 'entities'>): string | undefined {
  const principal = finding.entities.principal
  if (principal) return principal
  const workload = finding.entities.src_identity
  return workload ? canonicalWorkload(workload) : undefined
}

/**
 * Risk per identity (user or workload): the sum of the weighted contributions of the other rules'
 * findings about it, each halving every `half_life` of event time. Crossing the threshold produces
 * one finding listing every contribution; it re-arms when the score falls under half the
 * threshold. Pure: fed findings in event-time order per identity, keyed by {@link riskIdentityOf}.
 */
export function createRiskScorer(settings: RiskSettings) {
  const horizon = settings.horizon ?? settings.half_life * 7
  const weightOf = (rule: string, severity: Severity) =>
    settings.rule_weights[rule] ?? settings.severity_weights[severity]
  const decayed = (c: Contribution, at: number) =>
    c.weight * 0.5 ** (Math.max(0, at - c.ts) / settings.half_life)
  return {
    id: settings.id,
    keyOf: (finding: Finding) => `${finding.tenant}/${riskIdentityOf(finding) ?? '-'}`,
    accepts: (finding: Finding) => finding.rule !== settings.id && riskIdentityOf(finding) !== undefined,
    initialState: (): RiskState => ({ contributions: [], above: false }),
    step(state: RiskState, finding: Finding): DetectedFinding[] {
      const weight = weightOf(finding.rule, finding.severity)
      if (weight === 0 || state.contributions.some((c) => c.finding_id === finding.finding_id)) return []
      const at = Math.max(finding.ts, ...state.contributions.map((c) => c.ts))
      state.contributions = state.contributions.filter((c) => at - c.ts <= horizon)
      state.contributions.push({
        rule: finding.rule,
        finding_id: finding.finding_id,
        ts: finding.ts,
        weight,
        title: finding.title,
      })
      if (state.contributions.length > 50) state.contributions.splice(0, state.contributions.length - 50)
      const score = state.contributions.reduce((sum, c) => sum + decayed(c, at), 0)
      if (state.above) {
        if (score < settings.threshold / 2) state.above = false
        return []
      }
      if (score < settings.threshold) return []
      state.above = true
      const identity = riskIdentityOf(finding)!
      const parts = [...state.contributions]
        .sort((a, b) => a.ts - b.ts)
        .map((c) => {
          const now = decayed(c, at)
          return { ...c, now: Math.round(now * 10) / 10 }
        })
      const first = parts[0]!.ts
      const listed = parts
        .map(
          (c) =>
            `${c.rule} +${c.now}${c.now < c.weight ? ` (of ${c.weight}, ${formatSpan(at - c.ts)} ago)` : ''}`,
        )
        .join('; ')
      return [
        {
          finding_id: deriveEventId(settings.id, { tenant: finding.tenant, identity, first }),
          tenant: finding.tenant,
          ts: finding.ts,
          rule: settings.id,
          severity: 'page',
          title: `${settings.title}: ${identity}`,
          summary:
            `The risk score of ${identity} reached ${score.toFixed(0)} (threshold ${settings.threshold}) from ` +
            `${parts.length} finding(s) over ${formatSpan(at - first)}: ${listed}. Several independent signals ` +
            `about one identity are how a compromise looks before any single one is conclusive.`,
          entities: {
            ...(finding.entities.principal ? { principal: finding.entities.principal } : {}),
            ...(finding.entities.src_identity ? { src_identity: finding.entities.src_identity } : {}),
            identity,
            incident: finding.entities.incident ?? identity,
          },
          evidence: {
            score: Math.round(score * 10) / 10,
            threshold: settings.threshold,
            half_life_ms: settings.half_life,
            contributions: parts.map(({ rule, finding_id, ts, weight, now }) => ({
              rule,
              finding_id,
              ts,
              weight,
              now,
            })),
            finding_ids: parts.map((c) => c.finding_id),
            mitre: settings.mitre,
            // When the event behind the finding that crossed the threshold reached Palisade: the
            // time-to-detect SLI leaves out findings on late data (a backfill or replay, sql/0017),
            // and a score is as late as the finding that completed it.
            ...(typeof finding.evidence.arrived_at === 'number'
              ? { arrived_at: finding.evidence.arrived_at }
              : {}),
          },
        },
      ]
    },
  }
}

export type RiskScorer = ReturnType<typeof createRiskScorer>
