import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { isDashboardQueryName } from '@palisade/clickhouse'
import { z } from 'zod'
import type { DeclarationProblem } from './declaration-problem.ts'
import { DeclarationsInvalidError } from './errors.ts'
import { createYamlLocator, type PathPart } from './yaml-locator.ts'

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
  // SLO cards come from the SLO status reader (`GET /api/v1/slos`), not from a named query.
  z.strictObject({ ...common, type: z.literal('slo-status') }),
  // The SLO list page, worst first, with each budget's burn-down: also from the SLO status reader.
  z.strictObject({ ...common, type: z.literal('slo-list') }),
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
    /**
     * A band behind one of the series: its usual range at that time of day (p10–p90 of the same
     * bucket on each of the `days` days before), for the series the detectors baseline.
     */
    baseline: z
      .strictObject({
        field,
        days: z.int().min(3).max(14).default(7),
        /** What the band means to the reader: the detector that compares with it, say. */
        note: z.string().max(120).optional(),
      })
      .optional(),
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
    /** What an empty table says instead of "no data" (which source would fill it, say). */
    emptyText: z.string().min(1).max(400).optional(),
  }),
  // Services ranked by their SLOs' burn (from the SLO status reader, like the SLO cards).
  z.strictObject({ ...common, type: z.literal('slo-burn-services') }),
  // Compliance posture from declared intent against observed traffic (`GET /api/v1/compliance`).
  z.strictObject({ ...common, type: z.literal('compliance') }),
  // Plain words instead of data: for a panel the seeds describe that no source feeds yet.
  z.strictObject({ ...common, type: z.literal('notice'), text: z.string().min(1).max(800) }),
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

/** 1-based line of a `JSON.parse` error, from the position its message gives (line 1 when none). */
function jsonErrorLine(text: string, error: Error): number {
  const position = /position (\d+)/.exec(error.message)?.[1]
  return position === undefined ? 1 : text.slice(0, Number(position)).split('\n').length
}

/**
 * Read and validate every `*.json` in `dir`: the schema (unknown fields refused, so a typo is not
 * silently ignored), each panel naming a query the store registers, unique panel ids, a file named
 * after its id. Every problem of every file is returned, each with its line.
 */
export function readDashboards(dir: string): {
  dashboards: Map<string, Dashboard>
  problems: DeclarationProblem[]
} {
  const problems: DeclarationProblem[] = []
  const dashboards = new Map<string, Dashboard>()
  let files: string[]
  try {
    files = readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .sort()
  } catch (error) {
    problems.push({ file: dir, message: `cannot read the dashboards folder: ${(error as Error).message}` })
    return { dashboards, problems }
  }
  if (files.length === 0) problems.push({ file: dir, message: 'no dashboards (*.json) in this folder' })
  for (const name of files) {
    const file = join(dir, name)
    let text: string
    let json: unknown
    try {
      text = readFileSync(file, 'utf8')
    } catch (error) {
      problems.push({ file, message: `cannot read: ${(error as Error).message}` })
      continue
    }
    try {
      json = JSON.parse(text)
    } catch (error) {
      problems.push({
        file,
        line: jsonErrorLine(text, error as Error),
        message: `not JSON (${(error as Error).message})`,
      })
      continue
    }
    const locate = createYamlLocator(text)
    const at = (path: readonly PathPart[], message: string) =>
      problems.push({ file, line: locate.lineOf(path), message: `${path.join('.') || 'file'}: ${message}` })
    const parsed = dashboardSchema.safeParse(json)
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path.filter((part): part is PathPart => typeof part !== 'symbol')
        if (issue.code === 'unrecognized_keys')
          for (const key of issue.keys) at([...path, key], `unknown field '${key}'`)
        else at(path, issue.message)
      }
      continue
    }
    const dashboard = parsed.data
    if (dashboard.id !== basename(name, '.json'))
      at(['id'], `id "${dashboard.id}" differs from the file name`)
    const seen = new Set<string>()
    for (const [index, item] of dashboard.panels.entries()) {
      if (seen.has(item.id)) at(['panels', index, 'id'], `duplicate panel id "${item.id}"`)
      seen.add(item.id)
      if (
        item.type === 'timeseries' &&
        item.baseline &&
        !item.series.some((s) => s.field === item.baseline?.field)
      )
        at(['panels', index, 'baseline', 'field'], `"${item.baseline.field}" is none of the panel's series`)
      for (const field of ['query', 'highlightQuery'] as const) {
        const query = field in item ? (item as Record<string, unknown>)[field] : undefined
        if (typeof query === 'string' && !isDashboardQueryName(query))
          at(['panels', index, field], `unknown query "${query}"`)
      }
    }
    dashboards.set(dashboard.id, dashboard)
  }
  return { dashboards, problems }
}

/** {@link readDashboards}, throwing {@link DeclarationsInvalidError} when there is any problem. */
export function loadDashboards(dir: string): Map<string, Dashboard> {
  const { dashboards, problems } = readDashboards(dir)
  if (problems.length > 0) throw new DeclarationsInvalidError(problems)
  return dashboards
}
