import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { z } from 'zod'
import { DashboardInvalidError } from './errors.ts'

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and - only')
const field = z.string().regex(/^[a-z0-9_]{1,64}$/, 'a column name of the query')

/** Where a panel sits in the 12-column grid; `rows` are ~150 px each. */
const layout = z.strictObject({
  columns: z.int().min(1).max(12),
  rows: z.int().min(1).max(6).default(2),
})

const common = {
  id,
  title: z.string().min(1).max(120),
  description: z.string().max(400).optional(),
  layout,
}

/** How a value is shown: `ms`, a `ratio` as %, a plain `count`, a `time`, or `text`. */
const format = z.enum(['ms', 'ratio', 'count', 'time', 'text'])

const panel = z.discriminatedUnion('type', [
  // SLO cards come from the SLO evaluator (`GET /api/v1/slos`), not from a named query.
  z.strictObject({ ...common, type: z.literal('slo-status') }),
  // Findings come from the finding store (`GET /api/v1/findings`), filtered as declared.
  z.strictObject({
    ...common,
    type: z.literal('findings-table'),
    severity: z.enum(['page', 'ticket', 'info']).optional(),
    rule: z.string().optional(),
    limit: z.int().min(1).max(500).default(50),
  }),
  z.strictObject({
    ...common,
    type: z.literal('timeseries'),
    query: z.string(),
    unit: format,
    series: z
      .array(z.strictObject({ field, label: z.string().min(1).max(40) }))
      .min(1)
      .max(6),
    thresholds: z
      .array(z.strictObject({ value: z.number(), label: z.string().max(40) }))
      .max(4)
      .default([]),
  }),
  z.strictObject({
    ...common,
    type: z.literal('service-graph'),
    query: z.string(),
    /** A query whose rows (`src`, `dst`, optional `dst_port`) mark edges to highlight as new. */
    highlightQuery: z.string().optional(),
  }),
  z.strictObject({ ...common, type: z.literal('incidents'), query: z.string() }),
  z.strictObject({
    ...common,
    type: z.literal('table'),
    query: z.string(),
    columns: z
      .array(z.strictObject({ field, label: z.string().min(1).max(40), format: format.default('text') }))
      .min(1),
  }),
])

/** The schema of one `dashboards/<id>.json` file. */
export const dashboardSchema = z.strictObject({
  id,
  title: z.string().min(1).max(120),
  description: z.string().max(400).optional(),
  /** Range shown when the page opens. */
  defaultRange: z.enum(['15m', '1h', '6h', '24h', '7d']).default('6h'),
  /** How often the page refetches, seconds. */
  refreshSeconds: z.int().min(10).max(3600).default(60),
  panels: z.array(panel).min(1).max(40),
})

/** A validated dashboard declaration. */
export type Dashboard = z.output<typeof dashboardSchema>
/** One panel of a {@link Dashboard}. */
export type Panel = Dashboard['panels'][number]

/**
 * Read and validate every `*.json` in `dir`, checking that each panel names a known query, panel
 * ids are unique and a file is named after its id. Throws {@link DashboardInvalidError} listing
 * every problem at once, so that a bad declaration stops the process at startup, not at 3 a.m.
 */
export function loadDashboards(dir: string, isKnownQuery: (name: string) => boolean): Map<string, Dashboard> {
  const problems: string[] = []
  const dashboards = new Map<string, Dashboard>()
  let files: string[]
  try {
    files = readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .sort()
  } catch (error) {
    throw new DashboardInvalidError([`cannot read the dashboards folder ${dir}: ${(error as Error).message}`])
  }
  if (files.length === 0) problems.push(`no dashboards (*.json) in ${dir}`)
  for (const file of files) {
    let json: unknown
    try {
      json = JSON.parse(readFileSync(join(dir, file), 'utf8'))
    } catch (error) {
      problems.push(`${file}: not JSON (${(error as Error).message})`)
      continue
    }
    const parsed = dashboardSchema.safeParse(json)
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${file}: ${issue.path.join('.') || 'file'}: ${issue.message}`)
      continue
    }
    const dashboard = parsed.data
    if (dashboard.id !== basename(file, '.json'))
      problems.push(`${file}: id "${dashboard.id}" differs from the file name`)
    const seen = new Set<string>()
    for (const [index, item] of dashboard.panels.entries()) {
      if (seen.has(item.id)) problems.push(`${file}: panels.${index}: duplicate panel id "${item.id}"`)
      seen.add(item.id)
      const names = [
        'query' in item ? item.query : undefined,
        'highlightQuery' in item ? item.highlightQuery : undefined,
      ]
      for (const name of names) {
        if (name !== undefined && !isKnownQuery(name))
          problems.push(`${file}: panels.${index}: unknown query "${name}"`)
      }
    }
    dashboards.set(dashboard.id, dashboard)
  }
  if (problems.length > 0) throw new DashboardInvalidError(problems)
  return dashboards
}
