import { z } from 'zod'
import type { DetectedFinding } from '../detector.ts'
import { buildFinding, defineDetectorType, type RuleContext } from '../rules/detector-type.ts'
import { duration, formatSpan } from '../rules/duration.ts'

/** Settings of a hunt rule: the saved hunt's query and its schedule. */
export const huntRuleParams = z.strictObject({
  /** A hunt (one SELECT over the hunt tables); each row it answers is a finding. */
  query: z.string().min(1).max(20_000),
  /** How often it runs (default 5m). */
  every: duration.default(5 * 60_000),
  /** How far back each run looks, ending at the run (default 15m; at least `every`, so nothing falls between runs). */
  lookback: duration.default(15 * 60_000),
  /** Columns whose values name the finding's entities (and make one finding per distinct row). */
  entity_columns: z.array(z.string().regex(/^[a-z_][a-z0-9_]*$/)).default([]),
  /** Most findings one run raises (the rest are counted in the last one's evidence). */
  max_findings: z.int().min(1).max(1_000).default(50),
})

/** A hunt rule's settings, parsed. */
export type HuntRuleParams = z.output<typeof huntRuleParams>

/** What one run of a hunt rule answered: the columns and rows of `runHunt`. */
export interface HuntRunAnswer {
  columns: { name: string; type: string }[]
  rows: unknown[][]
}

/**
 * A hunt rule: a saved hunt run on a schedule by the detector app, over the store rather than the
 * event stream. Its detector reads no events (kinds `[]`); the schedule calls
 * {@link huntFindings} with each run's rows. Its inline tests run on the real engine.
 */
export const huntDetectorType = defineDetectorType({
  name: 'hunt',
  description: 'a saved hunt (ClickHouse SQL over the hunt tables) run on a schedule: one finding per row',
  params: huntRuleParams.refine((p) => p.lookback >= p.every, {
    message: 'lookback must be at least every, or rows between two runs are never looked at',
  }),
  create: (context) => ({
    id: context.id,
    kinds: [],
    keyOf: () => context.id,
    initialState: () => null,
    step: () => [],
  }),
})

function cellText(value: unknown): string {
  if (value === null || value === undefined) return ''
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

/**
 * The findings of one run: one per row (at most `max_findings`), its entities the row's
 * `entity_columns`, its evidence the whole row and the window, its time the row's `ts` (or `time`)
 * when it holds one, else the window end. The id is derived from the rule, the tenant and the
 * row's entities (the whole row when no entity columns are declared), so a later run finding the
 * same row again gives the same id and the finding store keeps it once.
 */
export function huntFindings(
  context: RuleContext<HuntRuleParams>,
  answer: HuntRunAnswer,
  run: { tenant: string; from: number; to: number },
): DetectedFinding[] {
  const names = answer.columns.map((column) => column.name)
  const limit = context.params.max_findings
  return answer.rows.slice(0, limit).map((row, index) => {
    const record = Object.fromEntries(names.map((name, i) => [name, row[i]]))
    const entities = Object.fromEntries(
      context.params.entity_columns.filter((c) => c in record).map((c) => [c, cellText(record[c])]),
    )
    const time = Date.parse(String(record.ts ?? record.time ?? ''))
    const ts = Number.isFinite(time) ? time : run.to
    const described = Object.entries(entities)
      .map(([name, value]) => `${name} ${value}`)
      .join(', ')
    const more = index === limit - 1 && answer.rows.length > limit ? answer.rows.length - limit : 0
    return buildFinding(context, {
      tenant: run.tenant,
      ts,
      identity: Object.keys(entities).length > 0 ? { entities } : { row: record },
      title: context.title,
      summary: `${context.title}: ${described || `row ${index + 1}`} (hunt over the last ${formatSpan(run.to - run.from)})`,
      entities,
      evidence: {
        row: record,
        window_from: run.from,
        window_to: run.to,
        ...(more > 0 ? { more_rows: more } : {}),
      },
    })
  })
}
