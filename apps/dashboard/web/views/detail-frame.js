import { $, badge, el } from '../dom.js'
import { entityLink, findingHref, incidentHref } from '../links.js'

// Shared parts of the detail views (finding, entity, incident): the frame with its way back,
// sections, key/value lists and the cross-kind timeline.

const isoTime = (ms) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')

/** `2026-12-07 16:20:05Z`, with the exact instant on hover. */
export function timeCell(ms) {
  const node = el('time', 'when', ms === null || ms === undefined ? '—' : isoTime(ms))
  if (ms !== null && ms !== undefined) node.dateTime = new Date(ms).toISOString()
  return node
}

/** Empty the detail area, show it (hiding the dashboard grid), and give it a back link and a title. */
export function openDetail(view, heading) {
  const detail = $('#detail')
  $('#dashboard').hidden = true
  detail.hidden = false
  detail.dataset.view = view
  detail.dataset.state = 'loading'
  const back = el('a', 'back-link', '← back')
  back.href = '#/'
  back.addEventListener('click', (event) => {
    // Back to where the analyst came from when there is such a place in this tab.
    if (history.length > 1) {
      event.preventDefault()
      history.back()
    }
  })
  const header = el('header', 'detail-header')
  header.append(back, heading)
  const body = el('div', 'detail-body')
  body.append(el('div', 'loading', 'loading…'))
  detail.replaceChildren(header, body)
  return { detail, body }
}

export function section(name, title, ...content) {
  const node = el('section', 'detail-section')
  node.dataset.section = name
  node.append(el('h2', '', title), ...content)
  return node
}

/** A value as the analyst reads it: epoch-ms times as times, lists joined, entities as links. */
function valueNode(key, value) {
  if (typeof value === 'number' && value > 1e12 && value < 1e13 && /(since|_at|seen|^ts)$/.test(key))
    return timeCell(value)
  if (Array.isArray(value)) return el('span', '', value.join(', '))
  if (value !== null && typeof value === 'object') return el('code', '', JSON.stringify(value))
  if (typeof value === 'string') return entityLink(key, value, value)
  return el('span', '', String(value))
}

/** A definition list of `record`'s entries; `emptyText` when it has none. */
export function keyValues(record, emptyText) {
  const entries = Object.entries(record ?? {}).filter(([, value]) => value !== '' && value !== null)
  if (entries.length === 0) return el('p', 'muted', emptyText)
  const list = el('dl', 'key-values')
  for (const [key, value] of entries) {
    const dd = el('dd')
    dd.append(valueNode(key, value))
    list.append(el('dt', '', key.replace(/_/g, ' ')), dd)
  }
  return list
}

const OUTCOME_BAD = /^(deny|denied|dropped|failure|error|page)/

/** Timeline rows of any kind, newest first; findings open their evidence, notifications their incident. */
export function timelineList(rows, emptyText) {
  if (rows.length === 0) return el('p', 'muted', emptyText)
  const list = el('ol', 'timeline')
  for (const row of rows) {
    const item = el('li', `timeline-row kind-${row.kind}`)
    item.dataset.kind = row.kind
    let text = el('span', 'timeline-text', row.text)
    if (row.kind === 'finding' || row.kind === 'notification') {
      text = el('a', 'timeline-text', row.text)
      text.href = row.kind === 'finding' ? findingHref(row.id) : incidentHref(row.id)
    }
    const outcome = row.kind === 'finding' ? badge(row.outcome) : el('span', 'outcome', row.outcome)
    if (row.kind !== 'finding' && OUTCOME_BAD.test(row.outcome)) outcome.classList.add('bad')
    item.append(timeCell(row.ts_ms), el('span', 'timeline-kind', row.kind.replace('_', ' ')), text, outcome)
    list.append(item)
  }
  return list
}

/** A plain table of `rows` with `columns` [[field, label, render?]]. */
export function table(rows, columns, emptyText) {
  if (rows.length === 0) return el('p', 'muted', emptyText)
  const node = el('table', 'data-table')
  const head = el('tr')
  for (const [, label] of columns) head.append(el('th', '', label))
  node.append(el('thead'), el('tbody'))
  node.tHead.append(head)
  for (const row of rows) {
    const tr = el('tr')
    for (const [field, , render] of columns) {
      const td = el('td')
      const value = row[field]
      if (render) td.append(render(value, row))
      else td.textContent = value === null || value === undefined ? '—' : String(value)
      tr.append(td)
    }
    node.tBodies[0].append(tr)
  }
  return node
}
