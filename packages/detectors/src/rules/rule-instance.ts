import type { AnyEvent } from '@palisade/schema'
import type { DetectedFinding, Detector } from '../detector.ts'

/** What a rule adds around its detector's state: the last finding per incident, for dedup. */
export interface RuleState {
  detector: unknown
  /** Group-by value → event time of the last finding let through, and how many were held back since. */
  fired: Record<string, { at: number; suppressed: number }>
}

/** The noise settings of a rule. */
export interface NoiseSettings {
  dedupPeriodMs: number
  groupBy: readonly string[]
  /** Added to every finding's evidence, so that alerts carry them wherever they are routed. */
  runbookUrl?: string
  mitre?: readonly string[]
}

/**
 * A rule's detector with its noise controls: one finding per incident (the values of `groupBy` in
 * the findings' entities) per dedup period, in event time; findings held back are counted into the
 * next one let through (`evidence.suppressed_since_last`). Each finding gets an `incident` entity,
 * the value of the first group-by entity, which the router groups pages by: on-call gets one page
 * for one attacker or one victim, however many rules it trips. The rule's runbook and MITRE ATT&CK
 * tags go into the evidence.
 */
export function withNoiseControl(detector: Detector, noise: NoiseSettings): Detector<RuleState> {
  return {
    id: detector.id,
    kinds: detector.kinds,
    ...(detector.accepts ? { accepts: detector.accepts } : {}),
    ...(detector.partitioning ? { partitioning: detector.partitioning } : {}),
    ...(detector.sampleKeyOf ? { sampleKeyOf: detector.sampleKeyOf } : {}),
    keyOf: detector.keyOf,
    initialState: () => ({ detector: detector.initialState(), fired: {} }),
    step(state: RuleState, event: AnyEvent): DetectedFinding[] {
      const findings = detector.step(state.detector, event)
      if (findings.length === 0) return findings
      const kept: DetectedFinding[] = []
      for (const finding of findings) {
        const group = noise.groupBy.map((name) => finding.entities[name] ?? '-').join('|')
        const last = state.fired[group]
        if (last !== undefined && finding.ts >= last.at && finding.ts - last.at < noise.dedupPeriodMs) {
          last.suppressed++
          continue
        }
        state.fired[group] = { at: finding.ts, suppressed: 0 }
        const incident = finding.entities[noise.groupBy[0] ?? ''] ?? group
        kept.push({
          ...finding,
          entities: { ...finding.entities, incident },
          evidence: {
            ...finding.evidence,
            ...(last && last.suppressed > 0 ? { suppressed_since_last: last.suppressed } : {}),
            ...(noise.runbookUrl ? { runbook_url: noise.runbookUrl } : {}),
            ...(noise.mitre && noise.mitre.length > 0 ? { mitre: [...noise.mitre] } : {}),
          },
        })
      }
      if (kept.length > 0) forgetOld(state, kept[kept.length - 1]!.ts - noise.dedupPeriodMs)
      return kept
    },
  }
}

/** Drop dedup entries older than one period before `before`, so state stays bounded. */
function forgetOld(state: RuleState, before: number): void {
  const groups = Object.keys(state.fired)
  if (groups.length < 64) return
  for (const group of groups) if (state.fired[group]!.at < before) delete state.fired[group]
}
