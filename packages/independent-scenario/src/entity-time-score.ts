import type { Finding } from '@palisade/schema'
import type { IndependentLabel } from './scenario-label.ts'

/**
 * Scoring by entity and time, never by rule id: a page counts for a labelled incident when it
 * arrives inside the incident's window (start .. end + 15 min) and its finding names one of the
 * incident's entities (workload, pod, pod IP, SPIFFE ID, user, client IP, host). Detectors can be
 * reorganised, renamed or replaced without the score noticing; only what on-call sees counts.
 */

/** A notification as the router sends it: page findings grouped by incident key, re-sent after the repeat interval. */
export interface IndependentPage {
  key: string
  /** Event time of the finding that opened it (the notification). */
  ts: number
  findings: Finding[]
}

/** One label's outcome. */
export interface LabelResult {
  label: IndependentLabel
  /** Notifications matching it. */
  pages: IndependentPage[]
  /** Findings of any severity matching it. */
  findings: Finding[]
  /** Event time from the label's start to its first matching notification, ms. */
  timeToDetectMs: number | undefined
}

/** One rule's notifications. */
export interface RuleNotifications {
  rule: string
  pages: number
  falsePages: number
  benignDayPages: number
  pageFindings: number
}

/** What `npm run eval:independent` prints. */
export interface IndependentScore {
  results: LabelResult[]
  pages: IndependentPage[]
  /** Page-worthy incidents with a matching notification / page-worthy incidents. */
  recall: number
  /** Notifications matching an incident / notifications. */
  precision: number
  /** Notifications matching no incident but a benign confounder. */
  confounderPages: IndependentPage[]
  /** Notifications on days without incidents (all false). */
  benignDayPages: number
  falsePages: IndependentPage[]
  medianTimeToDetectMs: number | undefined
  /** Ticket-level incidents any finding matches / ticket-level incidents. */
  ticketRecall: number
  /** The same figures over page-severity findings, before grouping (the findings API view). */
  findingsView: {
    pageFindings: number
    truePageFindings: number
    recall: number
    medianTimeToDetectMs: number | undefined
  }
  rules: RuleNotifications[]
  days: { day: string; benign: boolean; pages: number; falsePages: number }[]
}

const graceMs = 15 * 60_000
const dayMs = 86_400_000

/** The names a finding gives, normalised: lower case, addresses also without port, SPIFFE IDs also as namespace/account. */
export function namesInFinding(finding: Finding): Set<string> {
  const names = new Set<string>()
  for (const value of Object.values(finding.entities)) {
    if (typeof value !== 'string') continue
    for (const part of value.toLowerCase().split(/[\s,]+/)) {
      if (part === '') continue
      names.add(part)
      const spiffe = /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(part)
      if (spiffe) names.add(`${spiffe[1]}/${spiffe[2]}`)
      const address = /^\[?([0-9a-f.:]+?)\]?:(\d+)$/.exec(part)
      if (address) names.add(address[1]!)
      const hostPort = /^([a-z0-9.-]+\.[a-z]{2,}):\d+$/.exec(part)
      if (hostPort) names.add(hostPort[1]!)
      // A Kubernetes service name is its workload: `<svc>.<ns>.svc.cluster.local` → `ns/svc`.
      const service = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local\.?(:\d+)?$/.exec(part)
      if (service) names.add(`${service[2]}/${service[1]}`)
    }
  }
  return names
}

/** Whether a finding is about a label: inside its window, naming one of its entities. */
export function findingNamesLabel(finding: Finding, label: IndependentLabel): boolean {
  if (finding.ts < label.from || finding.ts > label.to + graceMs) return false
  const names = namesInFinding(finding)
  return label.entities.some((entity) => names.has(entity.toLowerCase()))
}

/** Page findings grouped as the router groups them (incident key, one notification per repeat interval). */
export function notificationsOf(findings: readonly Finding[], repeatMs = 4 * 3_600_000): IndependentPage[] {
  const pages: IndependentPage[] = []
  const open = new Map<string, IndependentPage>()
  for (const finding of findings.filter((f) => f.severity === 'page').sort((a, b) => a.ts - b.ts)) {
    const key = `${finding.tenant}/${finding.entities.incident ?? finding.rule}`
    const page = open.get(key)
    if (page && finding.ts - page.ts < repeatMs) {
      page.findings.push(finding)
      continue
    }
    const fresh = { key, ts: finding.ts, findings: [finding] }
    open.set(key, fresh)
    pages.push(fresh)
  }
  return pages
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Score findings against the labels by entity and time. A notification is judged by the finding that sent it. */
export function scoreByEntityAndTime(
  findings: readonly Finding[],
  labels: readonly IndependentLabel[],
  options: {
    start: number
    days: number
    /** Router re-notification interval for grouping (default 4 h). */
    repeatMs?: number
    /** Notifications as delivered (PagerDuty triggers); default: page findings grouped as the router groups them. */
    pages?: IndependentPage[]
  },
): IndependentScore {
  const pages = options.pages ?? notificationsOf(findings, options.repeatMs)
  const incidents = labels.filter((label) => label.kind === 'incident')
  const confounders = labels.filter((label) => label.kind === 'confounder')
  // A grouped notification is judged by the finding that sent it; a delivered one by any it carries.
  const judged = (page: IndependentPage) => (options.pages ? page.findings : page.findings.slice(0, 1))
  const names = (page: IndependentPage, label: IndependentLabel) =>
    judged(page).some((f) => findingNamesLabel(f, label))
  const sender = (page: IndependentPage) => page.findings[0]!
  const results: LabelResult[] = labels.map((label) => {
    const matching = pages.filter((page) => names(page, label))
    return {
      label,
      pages: matching,
      findings: findings.filter((finding) => findingNamesLabel(finding, label)).sort((a, b) => a.ts - b.ts),
      timeToDetectMs: matching[0]
        ? Math.max(
            0,
            Math.min(
              ...judged(matching[0])
                .filter((f) => findingNamesLabel(f, label))
                .map((f) => f.ts),
            ) - label.from,
          )
        : undefined,
    }
  })
  const matchesIncident = (page: IndependentPage) => incidents.some((label) => names(page, label))
  const falsePages = pages.filter((page) => !matchesIncident(page))
  const confounderPages = falsePages.filter((page) => confounders.some((label) => names(page, label)))
  const incidentDays = new Set(
    incidents.flatMap((label) => [
      Math.floor((label.from - options.start) / dayMs),
      Math.floor((label.to + graceMs - options.start) / dayMs),
    ]),
  )
  const dayOf = (ts: number) => Math.floor((ts - options.start) / dayMs)
  const days = Array.from({ length: options.days }, (_, index) => {
    const within = pages.filter((page) => dayOf(page.ts) === index)
    return {
      day: new Date(options.start + index * dayMs).toISOString().slice(0, 10),
      benign: !incidentDays.has(index),
      pages: within.length,
      falsePages: within.filter((page) => falsePages.includes(page)).length,
    }
  })
  const benignDay = (ts: number) => days[dayOf(ts)]?.benign === true
  const rules = new Map<string, RuleNotifications>()
  const rule = (name: string) => {
    let entry = rules.get(name)
    if (!entry) {
      entry = { rule: name, pages: 0, falsePages: 0, benignDayPages: 0, pageFindings: 0 }
      rules.set(name, entry)
    }
    return entry
  }
  for (const finding of findings) if (finding.severity === 'page') rule(finding.rule).pageFindings++
  const falseSet = new Set(falsePages)
  for (const page of pages) {
    const entry = rule(sender(page).rule)
    entry.pages++
    if (falseSet.has(page)) entry.falsePages++
    if (benignDay(page.ts)) entry.benignDayPages++
  }
  const pageWorthy = results.filter(
    (result) => result.label.kind === 'incident' && result.label.expect === 'page',
  )
  const tickets = results.filter(
    (result) => result.label.kind === 'incident' && result.label.expect === 'ticket',
  )
  const pageFindings = findings.filter((finding) => finding.severity === 'page')
  const findingTtd = pageWorthy.flatMap((result) => {
    const first = result.findings.find((finding) => finding.severity === 'page')
    return first ? [Math.max(0, first.ts - result.label.from)] : []
  })
  return {
    results,
    pages,
    recall: pageWorthy.length ? pageWorthy.filter((r) => r.pages.length > 0).length / pageWorthy.length : 1,
    precision: pages.length ? (pages.length - falsePages.length) / pages.length : 1,
    confounderPages,
    benignDayPages: days.filter((day) => day.benign).reduce((sum, day) => sum + day.pages, 0),
    falsePages,
    medianTimeToDetectMs: median(
      pageWorthy.flatMap((r) => (r.timeToDetectMs === undefined ? [] : [r.timeToDetectMs])),
    ),
    ticketRecall: tickets.length ? tickets.filter((r) => r.findings.length > 0).length / tickets.length : 1,
    findingsView: {
      pageFindings: pageFindings.length,
      truePageFindings: pageFindings.filter((finding) =>
        incidents.some((label) => findingNamesLabel(finding, label)),
      ).length,
      recall: pageWorthy.length ? findingTtd.length / pageWorthy.length : 1,
      medianTimeToDetectMs: median(findingTtd),
    },
    rules: [...rules.values()].sort(
      (a, b) => b.pages - a.pages || b.pageFindings - a.pageFindings || a.rule.localeCompare(b.rule),
    ),
    days,
  }
}

const span = (ms: number | undefined) =>
  ms === undefined ? '—' : ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`
const pct = (value: number) => `${(value * 100).toFixed(1)}%`
const entitiesText = (finding: Finding) =>
  Object.entries(finding.entities)
    .map(([role, value]) => `${role}=${value}`)
    .join(' ')

/** The report: the figures table, each label's outcome, each false page with its finding, pages per rule. */
export function independentScoreReport(score: IndependentScore): string {
  const lines: string[] = []
  const pageFindingPrecision = score.findingsView.pageFindings
    ? score.findingsView.truePageFindings / score.findingsView.pageFindings
    : 1
  lines.push(
    'view                              recall   precision            benign-confounder pages  pages on benign days  median TTD',
    `notifications (what pages)        ${pct(score.recall).padEnd(9)}${`${pct(score.precision)} (${score.pages.length - score.falsePages.length}/${score.pages.length})`.padEnd(21)}${String(score.confounderPages.length).padEnd(25)}${String(score.benignDayPages).padEnd(22)}${span(score.medianTimeToDetectMs)}`,
    `page findings (findings API)      ${pct(score.findingsView.recall).padEnd(9)}${`${pct(pageFindingPrecision)} (${score.findingsView.truePageFindings}/${score.findingsView.pageFindings})`.padEnd(21)}${''.padEnd(25)}${''.padEnd(22)}${span(score.findingsView.medianTimeToDetectMs)}`,
    '',
    'aims: recall ≥ 95%, precision ≥ 80%, 0 benign-confounder pages, 0 pages on benign days, median TTD < 60 s',
    `ticket-level incidents found by any finding: ${pct(score.ticketRecall)}`,
    '',
    'label                                 expect  paged  TTD       findings (rule!=page) naming it in its window',
  )
  for (const result of score.results) {
    const rules =
      [...new Set(result.findings.map((f) => `${f.rule}${f.severity === 'page' ? '!' : ''}`))].join(', ') ||
      '—'
    lines.push(
      `${result.label.id.padEnd(38)}${result.label.expect.padEnd(8)}${String(result.pages.length).padEnd(7)}${span(result.timeToDetectMs).padEnd(10)}${rules}`,
    )
  }
  if (score.falsePages.length > 0) {
    lines.push('', `false notifications (${score.falsePages.length}):`)
    for (const page of score.falsePages.slice(0, 60)) {
      const finding = page.findings[0]!
      lines.push(
        `  ${new Date(page.ts).toISOString()} ${finding.rule} [${page.findings.length} finding(s)] ${entitiesText(finding)}`,
      )
      lines.push(`      ${finding.summary}`)
    }
    if (score.falsePages.length > 60) lines.push(`  … ${score.falsePages.length - 60} more`)
  }
  lines.push('', 'pages per day')
  for (const day of score.days)
    lines.push(
      `  ${day.day} ${day.benign ? '(benign)   ' : '(incidents)'} ${String(day.pages).padStart(6)} pages  ${String(day.falsePages).padStart(6)} false`,
    )
  lines.push('', 'per rule                                 pages  false  on benign days  page findings')
  for (const rule of score.rules)
    lines.push(
      `  ${rule.rule.padEnd(38)}${String(rule.pages).padStart(5)}  ${String(rule.falsePages).padStart(5)}  ${String(rule.benignDayPages).padStart(14)}  ${String(rule.pageFindings).padStart(13)}`,
    )
  return lines.join('\n')
}
