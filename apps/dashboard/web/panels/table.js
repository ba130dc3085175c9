import { el, empty } from '../dom.js'
import { formatValue, time } from '../format.js'
import { entityLink, requestHref, wafRuleHuntHref } from '../links.js'

export function drawTable(entry, rows, range) {
  entry.legend.replaceChildren()
  if (rows.length === 0) {
    empty(entry.body, entry.panel.emptyText)
    return false
  }
  entry.legend.append(el('span', 'muted', `${rows.length} rows`))
  const table = el('table', 'data-table')
  const head = el('tr')
  for (const column of entry.panel.columns)
    head.append(el('th', column.format === 'count' || column.format === 'ratio' ? 'num' : '', column.label))
  table.append(el('thead'), el('tbody'))
  table.tHead.append(head)
  for (const row of rows) {
    const tr = el('tr')
    for (const column of entry.panel.columns) {
      const raw = row[column.field]
      const text =
        column.format === 'time'
          ? time(raw, range)
          : formatValue(raw, column.format === 'text' ? undefined : column.format)
      const td = el('td', column.format === 'count' || column.format === 'ratio' ? 'num' : '')
      // A cell holding an entity (caller, identity, revision) opens its page.
      if (/(^|_)request_id$/.test(column.field) && typeof raw === 'string' && raw !== '') {
        // A request id opens that request's decision timeline.
        const link = el('a', 'request-link', text)
        link.href = requestHref(raw)
        td.append(link)
      } else if (column.field === 'rule_id' && typeof raw === 'string' && raw !== '') {
        // A WAF rule opens a hunt of the requests it matched.
        const link = el('a', 'rule-link', text)
        link.href = wafRuleHuntHref(raw)
        link.title = `hunt the requests ${raw} matched`
        td.append(link)
      } else if (Array.isArray(raw)) {
        // A list (the top clients of a rule): each value opens its own page.
        for (const [index, value] of raw.entries()) {
          if (index > 0) td.append(' ')
          td.append(entityLink(column.field, value, String(value)))
        }
        if (raw.length === 0) td.textContent = '—'
      } else if (column.format === 'text' || column.format === undefined)
        td.append(entityLink(column.field, raw, text))
      else td.textContent = text
      if (typeof raw === 'string' && raw.length > 0) td.title = raw
      tr.append(td)
    }
    table.tBodies[0].append(tr)
  }
  entry.body.replaceChildren(table)
  return true
}
