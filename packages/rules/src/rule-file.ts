import { duration } from '@palisade/detectors'
import { z } from 'zod'
import { offset } from './test-offset.ts'

const identifier = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/,
    'use dotted lower-case words, such as identity.password_spray',
  )

/**
 * One event of a rule test: an event in our native schema plus `kind`, placed in time by `at`
 * (offset from the test's start, default 0s) or `ts` (ISO time or epoch ms). `repeat: N` makes N
 * events `every` apart, with `{i}` (1..N) replaced in every string field.
 */
const testEvent = z
  .object({
    kind: z.enum(['flow', 'auth', 'mtls', 'decision', 'policy_change', 'token', 'posture']),
    at: offset.optional(),
    ts: z.union([z.string(), z.number()]).optional(),
    repeat: z.number().int().min(1).max(10_000).optional(),
    every: duration.optional(),
  })
  .catchall(z.unknown())

/** What a test expects of one finding: each given field must match (entities and evidence partially). */
const expectedFinding = z.strictObject({
  rule: z.string().optional(),
  severity: z.enum(['page', 'ticket', 'info']).optional(),
  entities: z.record(z.string(), z.string()).optional(),
  evidence: z.record(z.string(), z.unknown()).optional(),
  /** Text the summary must contain (each of them). */
  summary_contains: z.union([z.string(), z.array(z.string())]).optional(),
})

export const ruleTestSchema = z.strictObject({
  name: z.string().min(1),
  /** Start of the test's event time (default 2026-01-05T10:00:00Z, a Monday). */
  start: z.string().optional(),
  /** Tenant of the events (default `acme`). */
  tenant: z.string().optional(),
  events: z.array(testEvent).optional(),
  /** Instead of (or besides) `events`: a file of records in a wire format, relative to the rule file. */
  fixture: z
    .strictObject({
      path: z.string(),
      format: z.string(),
      options: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  /** Declared intent for this test: Kubernetes/Istio/Cilium/Palisade documents, inline. */
  intent: z.array(z.record(z.string(), z.unknown())).optional(),
  /** The findings expected, in order; `[]` = must not fire. */
  expect: z.array(expectedFinding),
})

export const ruleSchema = z.strictObject({
  id: identifier,
  /** Detector type that implements it (see `palisade rules lint --list`). */
  detector: z.string().min(1),
  title: z.string().min(1),
  description: z.string().optional(),
  severity: z.enum(['page', 'ticket', 'info']),
  enabled: z.boolean().default(true),
  params: z.record(z.string(), z.unknown()).default({}),
  /** One finding per group-by value per dedup period; the rest are counted into the next one. */
  dedup_period: duration,
  /** Entities that make "the same incident" (their values from the findings' entities). */
  group_by: z.array(z.string().min(1)).min(1),
  runbook_url: z.url(),
  /** MITRE ATT&CK technique ids, such as T1110.003. */
  mitre: z
    .array(z.string().regex(/^T\d{4}(\.\d{3})?$/, 'a MITRE ATT&CK technique id, such as T1110.003'))
    .default([]),
  tests: z.array(ruleTestSchema),
})

/** A rule file: `rules:` plus `lists:` (named values that params may use as `$name`). */
export const ruleFileSchema = z.strictObject({
  lists: z
    .record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.array(z.union([z.string(), z.number()])))
    .default({}),
  rules: z.array(ruleSchema).min(1),
})

export type RuleDeclaration = z.output<typeof ruleSchema>
export type RuleTest = z.output<typeof ruleTestSchema>
export type RuleTestEvent = z.output<typeof testEvent>
export type ExpectedFinding = z.output<typeof expectedFinding>
export type RuleFile = z.output<typeof ruleFileSchema>
