import { createNoiseBudget, defaultNoiseBudget, type NoiseBudgetConfig } from '@palisade/alerting'
import type { ScenarioLabel } from '@palisade/scenario-generator'
import { canonicalWorkload, type Finding } from '@palisade/schema'

/** One notification as the routing tree makes it: page findings of one incident, re-paged only after `repeatMs`. */
export interface Page {
  incident: string
  /** Event time of the first finding of the page. */
  ts: number
  findings: Finding[]
}

/** The router's grouping, in event time: pages grouped by their `incident` label, one page per incident per repeat interval. */
export function pagesOf(findings: readonly Finding[], repeatMs: number): Page[] {
  const pages: Page[] = []
  const open = new Map<string, Page>()
  for (const finding of [...findings].filter((f) => f.severity === 'page').sort((a, b) => a.ts - b.ts)) {
    const incident = `${finding.tenant}/${finding.entities.incident ?? finding.rule}`
    const page = open.get(incident)
    if (page && finding.ts - page.ts < repeatMs) {
      page.findings.push(finding)
      continue
    }
    const fresh = { incident, ts: finding.ts, findings: [finding] }
    open.set(incident, fresh)
    pages.push(fresh)
  }
  return pages
}

const canonical = (value: string) => canonicalWorkload(value).toLowerCase()

/** Whether a finding is about a label's incident: an expected rule (or the risk rule on the same entity), in time, on its entity. */
export function findingMatches(
  finding: Finding,
  label: ScenarioLabel,
  riskRule = 'risk.identity_score',
  slackMs = 3_600_000,
): boolean {
  if (!label.rules.includes(finding.rule) && finding.rule !== riskRule) return false
  if (finding.ts < label.from - 5 * 60_000 || finding.ts > label.to + slackMs) return false
  const values = Object.values(finding.entities).map(canonical)
  const summary = finding.summary.toLowerCase()
  return [label.entity, ...(label.aliases ?? [])]
    .map(canonical)
    .some(
      (entity) =>
        values.includes(entity) ||
        values.some((value) => value.endsWith(`/${entity}`)) ||
        summary.includes(entity),
    )
}

/** One label's outcome. */
export interface LabelOutcome {
  label: ScenarioLabel
  /** Findings matching it, any severity. */
  findings: Finding[]
  paged: boolean
  /** Event time from the label's start to its first matching finding (page for page labels), ms. */
  timeToDetectMs: number | undefined
}

/** What `npm run eval:detection` prints. */
export interface DetectionScore {
  outcomes: LabelOutcome[]
  pages: Page[]
  /** Page-worthy incidents paged / page-worthy incidents. */
  recall: number
  /** Pages matching a threat / pages. */
  precision: number
  /** Ticket-level incidents found by any finding / ticket-level incidents. */
  ticketRecall: number
  /** Pages matching no threat, per day of the scenario. */
  benignPagesPerDay: number
  falsePages: Page[]
  medianTimeToDetectMs: number | undefined
  /** Pages per day of the scenario (UTC days from its start); benign days are those no threat touches. */
  days: DayPages[]
  /** Pages and page findings per rule (a page counts for the rule of its first finding), most first. */
  rules: RulePages[]
}

/** One day's pages. */
export interface DayPages {
  /** `YYYY-MM-DD` (UTC). */
  day: string
  /** No threat label overlaps the day: every page of it is a false one. */
  benign: boolean
  pages: number
  falsePages: number
}

/** One rule's pages. */
export interface RulePages {
  rule: string
  pages: number
  falsePages: number
  /** Page-severity findings of the rule (many findings can make one page). */
  pageFindings: number
  /** False pages on benign days. */
  benignDayPages: number
  /** Its noise budget, pages per tenant and hour of event time (the routing file's `noise_budget`). */
  budget: number
  /** The most pages it made in any hour of event time (one tenant). */
  busiestHour: number
  /** Pages past its budget: what the router collapses into one digest instead. */
  overBudget: number
  /** Of those, on benign days (the aim: none). */
  overBudgetOnBenignDays: number
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Score findings against a scenario's labels, pages grouped as the router groups them. */
export function scoreDetection(
  findings: readonly Finding[],
  labels: readonly ScenarioLabel[],
  options: {
    days: number
    repeatMs?: number /** First day, epoch ms (default: the first page's day). */
    start?: number
    /** The routing file's noise budget (default the built-in one), applied to pages in event time. */
    noiseBudget?: NoiseBudgetConfig
  },
): DetectionScore {
  const pages = pagesOf(findings, options.repeatMs ?? 4 * 3_600_000)
  const threats = labels.filter((label) => label.severity !== 'none')
  const outcomes = threats.map((label) => {
    const matching = findings.filter((finding) => findingMatches(finding, label)).sort((a, b) => a.ts - b.ts)
    const pageFindings = matching.filter((finding) => finding.severity === 'page')
    const first = label.severity === 'page' ? pageFindings[0] : matching[0]
    return {
      label,
      findings: matching,
      paged: pageFindings.length > 0,
      timeToDetectMs: first ? Math.max(0, first.ts - label.from) : undefined,
    }
  })
  const pageWorthy = outcomes.filter((outcome) => outcome.label.severity === 'page')
  const tickets = outcomes.filter((outcome) => outcome.label.severity === 'ticket')
  const falsePages = pages.filter(
    (page) => !page.findings.some((finding) => threats.some((label) => findingMatches(finding, label))),
  )
  const dayMs = 86_400_000
  const start = options.start ?? Math.floor((pages[0]?.ts ?? 0) / dayMs) * dayMs
  const falseSet = new Set(falsePages)
  const days: DayPages[] = Array.from({ length: options.days }, (_, index) => {
    const from = start + index * dayMs
    const within = pages.filter((page) => page.ts >= from && page.ts < from + dayMs)
    return {
      day: new Date(from).toISOString().slice(0, 10),
      benign: !threats.some((label) => label.to >= from && label.from < from + dayMs),
      pages: within.length,
      falsePages: within.filter((page) => falseSet.has(page)).length,
    }
  })
  const benignDay = (ts: number) => days[Math.floor((ts - start) / dayMs)]?.benign === true
  const byRule = new Map<string, RulePages>()
  // The router's noise budget, in event time as it counts: which pages it would collapse.
  const budget = createNoiseBudget(options.noiseBudget ?? defaultNoiseBudget)
  const pageTimes = new Map<string, number[]>()
  const ruleOf = (rule: string) => {
    let entry = byRule.get(rule)
    if (entry === undefined) {
      entry = {
        rule,
        pages: 0,
        falsePages: 0,
        pageFindings: 0,
        benignDayPages: 0,
        budget: budget.limitOf(rule),
        busiestHour: 0,
        overBudget: 0,
        overBudgetOnBenignDays: 0,
      }
      byRule.set(rule, entry)
    }
    return entry
  }
  for (const finding of findings) if (finding.severity === 'page') ruleOf(finding.rule).pageFindings++
  for (const page of pages) {
    const { rule, tenant } = page.findings[0]!
    const entry = ruleOf(rule)
    entry.pages++
    if (budget.allows(tenant, rule, page.ts)) budget.spend(tenant, rule, page.ts)
    else {
      entry.overBudget++
      if (benignDay(page.ts)) entry.overBudgetOnBenignDays++
    }
    // Busiest hour: pages of the rule and tenant within the hour up to this one (pages are in time order).
    const times = pageTimes.get(`${tenant}\n${rule}`) ?? []
    times.push(page.ts)
    while (page.ts - times[0]! >= 3_600_000) times.shift()
    pageTimes.set(`${tenant}\n${rule}`, times)
    entry.busiestHour = Math.max(entry.busiestHour, times.length)
    if (falseSet.has(page)) {
      entry.falsePages++
      if (benignDay(page.ts)) entry.benignDayPages++
    }
  }
  return {
    days,
    rules: [...byRule.values()].sort((a, b) => b.pages - a.pages || a.rule.localeCompare(b.rule)),
    outcomes,
    pages,
    recall: pageWorthy.length ? pageWorthy.filter((o) => o.paged).length / pageWorthy.length : 1,
    precision: pages.length ? (pages.length - falsePages.length) / pages.length : 1,
    ticketRecall: tickets.length ? tickets.filter((o) => o.findings.length > 0).length / tickets.length : 1,
    benignPagesPerDay: falsePages.length / options.days,
    falsePages,
    medianTimeToDetectMs: median(
      pageWorthy.flatMap((o) => (o.paged && o.timeToDetectMs !== undefined ? [o.timeToDetectMs] : [])),
    ),
  }
}

/** The report: one line per incident, the false pages, then the four figures against their aims. */
export function scoreReport(score: DetectionScore): string {
  const pct = (value: number) => `${(value * 100).toFixed(1)}%`
  const span = (ms: number | undefined) =>
    ms === undefined ? '—' : ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`
  const lines = [
    'incident                                  expect  found by                                   TTD',
  ]
  for (const outcome of score.outcomes) {
    const rules =
      [...new Set(outcome.findings.map((f) => `${f.rule}${f.severity === 'page' ? '!' : ''}`))].join(', ') ||
      'MISSED'
    lines.push(
      `${outcome.label.id.padEnd(42)}${outcome.label.severity.padEnd(8)}${rules.padEnd(43)}${span(outcome.timeToDetectMs)}`,
    )
  }
  if (score.falsePages.length > 0) {
    lines.push('', 'pages matching no incident:')
    for (const page of score.falsePages)
      lines.push(
        `  ${new Date(page.ts).toISOString()} ${page.incident}: ${page.findings[0]!.rule} — ${page.findings[0]!.summary}`,
      )
  }
  lines.push('', 'pages per day                           pages  false   aim ≤ 1 a benign day')
  for (const day of score.days)
    lines.push(
      `  ${day.day} ${day.benign ? '(benign)  ' : '(incidents)'}          ${String(day.pages).padStart(5)}  ${String(day.falsePages).padStart(5)}`,
    )
  if (score.rules.length > 0) {
    lines.push(
      '',
      'pages per rule                          pages  false  on benign days  page findings  budget/h  busiest hour  over budget (benign days)',
    )
    for (const rule of score.rules)
      lines.push(
        `  ${rule.rule.padEnd(38)}${String(rule.pages).padStart(5)}  ${String(rule.falsePages).padStart(5)}  ${String(rule.benignDayPages).padStart(14)}  ${String(rule.pageFindings).padStart(13)}  ${String(rule.budget).padStart(8)}  ${String(rule.busiestHour).padStart(12)}  ${String(rule.overBudget).padStart(11)} (${rule.overBudgetOnBenignDays})`,
      )
    const noisy = score.rules.filter((rule) => rule.overBudgetOnBenignDays > 0)
    lines.push(
      '',
      `rules above their noise budget on benign days   ${noisy.length}${noisy.length > 0 ? ` (${noisy.map((rule) => rule.rule).join(', ')})` : ''}   aim 0`,
    )
  }
  const benignDays = score.days.filter((day) => day.benign)
  if (benignDays.length > 0) {
    const worst = Math.max(...benignDays.map((day) => day.falsePages))
    lines.push(
      '',
      `pages per benign day                   ${(benignDays.reduce((sum, day) => sum + day.falsePages, 0) / benignDays.length).toFixed(2)} mean, ${worst} worst over ${benignDays.length} days   aim ≤ 1`,
    )
  }
  lines.push(
    '',
    `recall (page-worthy incidents paged)  ${pct(score.recall)}   aim ≥ 95%`,
    `precision (pages matching an incident) ${pct(score.precision)}   aim ≥ 80%   (${score.pages.length} pages)`,
    `benign pages per day                   ${score.benignPagesPerDay.toFixed(2)}    aim ≤ 1`,
    `median time to detect (event time)     ${span(score.medianTimeToDetectMs)}   aim < 1 min`,
    `ticket-level incidents found           ${pct(score.ticketRecall)}`,
  )
  return lines.join('\n')
}
