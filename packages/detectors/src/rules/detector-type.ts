import type { DeclaredIntent } from '@palisade/intent'
import { deriveEventId, type Severity } from '@palisade/schema'
import type { z } from 'zod'
import type { DetectedFinding, Detector } from '../detector.ts'

/** What a rule file gives the detector it instantiates. */
export interface RuleContext<Params> {
  /** Rule id, such as `identity.password_spray`: the findings' `rule`. */
  id: string
  /** Rule title, for finding titles. */
  title: string
  /** Severity from the rule file; a detector may raise it only for reasons its doc names. */
  severity: Severity
  params: Params
  /** What the perimeter is meant to be. */
  intent: DeclaredIntent
}

/**
 * A kind of detector, instantiated by rules: `params` is a strict zod schema of its settings
 * (durations with {@link duration}), `create` builds one pure per-key {@link Detector}.
 */
export interface DetectorType<Schema extends z.ZodType = z.ZodType> {
  /** Name used by rule files (`detector: password_spray`). */
  name: string
  /** One line: what it detects. */
  description: string
  params: Schema
  create(context: RuleContext<z.output<Schema>>): Detector
}

/** Declare a detector type (keeps the params type tied to `create`). */
export function defineDetectorType<Schema extends z.ZodType>(
  type: DetectorType<Schema>,
): DetectorType<Schema> {
  return type
}

/** What a detector says about one finding; {@link buildFinding} adds id, rule and tenant. */
export interface FindingDraft {
  tenant: string
  /** Event time of the triggering event, epoch ms. */
  ts: number
  /**
   * What makes this finding this one and no other, for its content-derived id (a replay
   * produces the same id): for example the client IP and the window start.
   */
  identity: Record<string, unknown>
  /** Severity, when the detector raised it from the rule's (documented reason). */
  severity?: Severity
  title: string
  summary: string
  /** Entities by role, named exactly as the records name them. */
  entities: Record<string, string>
  /** Event ids, counts, baseline, thresholds. */
  evidence: Record<string, unknown>
}

/** A finding of a rule: id derived from the rule, tenant and the draft's `identity`. */
export function buildFinding(context: RuleContext<unknown>, draft: FindingDraft): DetectedFinding {
  return {
    finding_id: deriveEventId(context.id, { tenant: draft.tenant, ...draft.identity }),
    tenant: draft.tenant,
    ts: draft.ts,
    rule: context.id,
    severity: draft.severity ?? context.severity,
    title: draft.title,
    summary: draft.summary,
    entities: draft.entities,
    evidence: draft.evidence,
  }
}

/** Keep at most `limit` event ids as evidence (the newest), with the total alongside. */
export function evidenceIds(ids: readonly string[], limit = 20): string[] {
  return ids.length <= limit ? [...ids] : ids.slice(ids.length - limit)
}
