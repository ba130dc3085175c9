import { api, qs } from '../api.js'
import { el } from '../dom.js'
import { entityHref, entityKindOf, requestHref } from '../links.js'
import { setUrlParams, urlParam } from '../url-state.js'
import { openDetail, section } from './detail-frame.js'

// Hunting: a ClickHouse SELECT over the tenant's hunt tables (flow, auth, decision, ...). The
// query, its filters and the range live in the URL, so a reload or a shared link runs the same
// hunt; a saved hunt has its own address, #/hunt/<id>.

const EXAMPLE = `SELECT subject, service, count() AS denies, max(ts) AS last_deny
FROM decision
WHERE decision = 'deny'
GROUP BY subject, service
ORDER BY denies DESC
LIMIT 50`

function readFilters() {
  try {
    const list = JSON.parse(urlParam('hf') ?? '[]')
    return Array.isArray(list)
      ? list.filter((f) => typeof f?.column === 'string' && typeof f?.value === 'string')
      : []
  } catch {
    return []
  }
}

function writeFilters(filters) {
  setUrlParams({ hf: filters.length > 0 ? JSON.stringify(filters) : undefined })
}

/** A cell: an entity opens its page, a request id its decision timeline; every value can filter. */
function cell(column, value, onFilter) {
  const td = el('td')
  const text =
    value === null || value === undefined
      ? ''
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value)
  td.title = text
  const kind = typeof value === 'string' ? entityKindOf(column, value) : undefined
  let shown
  if (/(^|_)request_id$/.test(column) && text !== '') {
    shown = el('a', 'request-link', text)
    shown.href = requestHref(text)
  } else if (kind) {
    shown = el('a', 'entity-link', text)
    shown.href = entityHref(kind, text)
    shown.dataset.entityKind = kind
  } else shown = el('span', '', text === '' ? '—' : text)
  const filter = el('button', 'pivot-filter', '⊜')
  filter.type = 'button'
  filter.title = `keep rows where ${column} = ${text}`
  filter.setAttribute('aria-label', `filter ${column} = ${text}`)
  filter.addEventListener('click', () => onFilter({ column, value: text }))
  td.append(shown, filter)
  return td
}

function resultTable(result, onFilter) {
  const node = el('table', 'data-table hunt-results')
  const head = el('tr')
  for (const column of result.columns) {
    const th = el('th', '', column.name)
    th.title = column.type
    head.append(th)
  }
  node.append(el('thead'), el('tbody'))
  node.tHead.append(head)
  for (const row of result.rows) {
    const tr = el('tr')
    tr.append(...result.columns.map((column, i) => cell(column.name, row[i], onFilter)))
    node.tBodies[0].append(tr)
  }
  return node
}

function reference(tables) {
  const box = el('details', 'hunt-reference')
  box.append(el('summary', '', 'Tables you can hunt over (your tenant only, cut to the range)'))
  for (const table of tables) {
    const item = el('div', 'hunt-table')
    item.append(el('code', 'hunt-table-name', table.name), el('span', 'muted', ` ${table.description}: `))
    item.append(el('span', 'hunt-columns', table.columns.map((c) => c.name).join(', ')))
    box.append(item)
  }
  return box
}

/** The hunting page: query box, limits, results with pivots, export, save and share, rule. */
export async function showHunt(savedId, range) {
  const heading = el('h1', 'detail-title', 'Hunt')
  const { detail, body } = openDetail('hunt', heading)
  document.title = 'Hunt · Palisade'
  const [{ tables, limits }, saved] = await Promise.all([
    api('api/v1/hunts/tables'),
    savedId ? api(`api/v1/hunts/${encodeURIComponent(savedId)}`) : Promise.resolve(undefined),
  ])
  if (saved) {
    heading.textContent = saved.name
    heading.prepend(el('span', 'entity-kind', 'saved hunt'))
  }
  const box = el('textarea', 'hunt-query')
  box.id = 'hunt-query'
  box.spellcheck = false
  box.rows = 8
  box.value = urlParam('q') ?? saved?.query ?? EXAMPLE
  box.setAttribute('aria-label', 'Hunt query (ClickHouse SQL)')

  const run = el('button', 'primary', 'Run')
  run.type = 'button'
  run.id = 'hunt-run'
  const name = el('input', 'hunt-name')
  name.placeholder = 'name this hunt to save it'
  name.value = saved?.name ?? ''
  const save = el('button', '', 'Save & share')
  save.type = 'button'
  save.id = 'hunt-save'
  const csv = el('a', 'button-link', 'CSV')
  const ndjson = el('a', 'button-link', 'NDJSON')
  const rule = el('a', 'button-link', 'Turn into a rule')
  rule.id = 'hunt-rule'
  rule.hidden = !saved
  if (saved) rule.href = `api/v1/hunts/${encodeURIComponent(saved.id)}/rule`
  const note = el('span', 'muted hunt-note')
  const actions = el('div', 'hunt-actions')
  actions.append(run, name, save, el('span', 'muted', 'export:'), csv, ndjson, rule, note)
  const limitsText = el(
    'p',
    'muted hunt-limits',
    `ClickHouse SQL, read-only: one SELECT over the tables below, at most ${limits.maxRowsCap.toLocaleString('en')} rows, ` +
      `${limits.maxExecutionSeconds} s and ${Math.round(limits.maxRowsToRead / 1e6)} M rows read; ` +
      'no system tables, table functions or SETTINGS. Click a value to open it, ⊜ to filter on it.',
  )
  const filtersBar = el('div', 'hunt-filters')
  const results = el('div', 'hunt-output')
  body.replaceChildren(
    section('query', 'Query', box, actions, limitsText, reference(tables)),
    section('results', 'Results', filtersBar, results),
  )

  const exportHref = (format) =>
    `api/v1/hunts/export?${qs({
      format,
      query: box.value,
      from: Math.round(range.from),
      to: Math.round(range.to),
      filters: readFilters().length > 0 ? JSON.stringify(readFilters()) : undefined,
    })}`

  const drawFilters = () => {
    const filters = readFilters()
    filtersBar.replaceChildren(
      ...filters.map((filter, index) => {
        const chip = el('button', 'filter-chip', `${filter.column} = ${filter.value} ×`)
        chip.type = 'button'
        chip.title = 'remove this filter'
        chip.addEventListener('click', () => {
          writeFilters(filters.filter((_, i) => i !== index))
          execute()
        })
        return chip
      }),
    )
  }

  async function execute() {
    setUrlParams({ q: box.value })
    drawFilters()
    csv.href = exportHref('csv')
    ndjson.href = exportHref('ndjson')
    detail.dataset.state = 'loading'
    results.replaceChildren(el('div', 'loading', 'running…'))
    try {
      const result = await api('api/v1/hunts/run', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: box.value,
          from: Math.round(range.from),
          to: Math.round(range.to),
          filters: readFilters(),
        }),
      })
      const summary = el(
        'p',
        'muted hunt-summary',
        `${result.rows.length.toLocaleString('en')} row(s)${result.truncated ? ' (cut at the row limit: narrow the hunt or export)' : ''} · reads ${result.tables.join(', ') || 'no table'}`,
      )
      const onFilter = (filter) => {
        writeFilters([...readFilters(), filter])
        execute()
      }
      results.replaceChildren(
        summary,
        result.rows.length === 0 ? el('p', 'muted', 'no rows in this range') : resultTable(result, onFilter),
      )
      detail.dataset.state = 'ready'
    } catch (error) {
      const refusal = el('div', 'empty error hunt-refusal', `refused: ${error.message}`)
      refusal.setAttribute('role', 'alert')
      results.replaceChildren(refusal)
      detail.dataset.state = 'refused'
    }
  }

  run.addEventListener('click', execute)
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) execute()
  })
  save.addEventListener('click', async () => {
    note.textContent = ''
    try {
      const hunt = await api('api/v1/hunts', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: name.value, query: box.value, range: urlParam('range') ?? '6h' }),
      })
      rule.hidden = false
      rule.href = `api/v1/hunts/${encodeURIComponent(hunt.id)}/rule`
      setUrlParams({ q: undefined, hf: undefined })
      location.hash = `#/hunt/${encodeURIComponent(hunt.id)}`
    } catch (error) {
      note.textContent = `not saved: ${error.message}`
    }
  })
  await execute()
}
