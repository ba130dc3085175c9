import { d3 } from '../d3.js'
import { badge, el, empty } from '../dom.js'
import { time } from '../format.js'
import { findingHref } from '../links.js'
import { entityChips } from './entity-chips.js'

export function drawFindings(entry, findings, range) {
  entry.legend.replaceChildren()
  if (findings.length === 0) {
    empty(entry.body)
    return false
  }
  const counts = d3.rollup(
    findings,
    (v) => v.length,
    (f) => f.severity,
  )
  for (const severity of ['page', 'ticket', 'info']) {
    if (counts.get(severity)) entry.legend.append(badge(severity, `${counts.get(severity)} ${severity}`))
  }
  const list = el('ol', 'findings')
  for (const finding of bySeverityThenTime(findings)) {
    const item = el('li', 'finding')
    item.dataset.findingId = finding.finding_id
    const when = el('time', 'when', time(finding.ts, range))
    when.dateTime = new Date(finding.ts).toISOString()
    when.title = new Date(finding.ts).toISOString()
    const main = el('div', 'finding-main')
    const title = el('div', 'finding-title')
    title.append(badge(finding.severity), findingLink(finding), el('span', 'rule', finding.rule))
    main.append(title, el('p', 'summary', finding.summary), entityChips(finding.entities))
    item.append(when, main)
    list.append(item)
  }
  entry.body.replaceChildren(list)
  return true
}

const SEVERITY_RANK = { page: 0, ticket: 1, info: 2 }

/** Pages first, then tickets, then info; newest first within each. */
export function bySeverityThenTime(findings) {
  return [...findings].sort(
    (a, b) => (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3) || b.ts - a.ts,
  )
}

function findingLink(finding) {
  const link = el('a', 'finding-name', finding.title)
  link.href = findingHref(finding.finding_id)
  link.title = 'open the evidence'
  return link
}
