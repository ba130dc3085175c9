// Palisade dashboard front end. Plain ES module, no build step; d3 comes from /vendor/d3 (the
// installed package), loaded as a classic script before this one. Every text from the API goes
// through textContent (d3's .text()), never innerHTML.

import { budgetPercent, budgetWords, drawSloList, loadSloList } from './slo-budget.js'

const d3 = globalThis.d3
if (!d3) {
  document.body.textContent = 'd3 did not load (vendor/d3/d3.min.js); the dashboard cannot draw.'
  throw new Error('d3 missing')
}

const RANGES = [
  ['15m', 15 * 60e3],
  ['1h', 3600e3],
  ['6h', 6 * 3600e3],
  ['24h', 24 * 3600e3],
  ['7d', 7 * 24 * 3600e3],
]
const PALETTE = ['#58a6ff', '#d2a8ff', '#f0883e', '#3fb950', '#ff7b72', '#79c0ff']
const EMPTY = 'no data in this window'
const COLORS = {
  edge: '#4d5b70',
  fresh: '#f0883e',
  blocked: '#f85149',
  node: '#1f6feb',
  nodeStroke: '#79c0ff',
}

class Unauthenticated extends Error {}

const state = {
  dashboards: [],
  dashboard: undefined,
  range: undefined,
  timer: undefined,
  /** panel id → { panel, body, data } so a resize redraws without refetching. */
  panels: new Map(),
  lastRange: undefined,
}

const $ = (selector) => document.querySelector(selector)

// ---------------------------------------------------------------------------------------------
// API

async function api(path, init = {}) {
  const response = await fetch(path, {
    credentials: 'same-origin',
    ...init,
    headers: { accept: 'application/json', ...(init.headers ?? {}) },
  })
  if (response.status === 401) throw new Unauthenticated('session ended')
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`
    try {
      message = (await response.json())?.error?.message ?? message
    } catch {
      // Not JSON (a proxy's error page): the status line says enough.
    }
    throw new Error(message)
  }
  return response.status === 204 ? undefined : response.json()
}

const qs = (params) =>
  new URLSearchParams(
    Object.entries(params).filter(([, value]) => value !== undefined && value !== null),
  ).toString()

// ---------------------------------------------------------------------------------------------
// Formatting

const utcTime = d3.utcFormat('%H:%M')
const utcDayTime = d3.utcFormat('%b %d %H:%M')
const utcSeconds = d3.utcFormat('%H:%M:%S')
const count = d3.format(',')

function time(ms, range) {
  if (ms === null || ms === undefined) return '—'
  const long = range ? range.to - range.from > 24 * 3600e3 : Date.now() - ms > 20 * 3600e3
  return long ? utcDayTime(new Date(ms)) : utcTime(new Date(ms))
}

function percent(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—'
  const p = value * 100
  // Near 100 % the interesting digits are the nines; near 0 % the first significant ones.
  const digits = p >= 99 && p < 100 ? 3 : Math.abs(p) < 1 && p !== 0 ? 2 : 1
  return `${p.toFixed(digits)}%`
}

function formatValue(value, unit) {
  if (value === null || value === undefined || value === '') return '—'
  switch (unit) {
    case 'ms':
      return `${Number(value) < 10 ? Number(value).toFixed(1) : Math.round(Number(value))} ms`
    case 'ratio':
      return percent(Number(value))
    case 'count':
      return count(Number(value))
    case 'time':
      return time(Number(value))
    default:
      return String(value)
  }
}

function burn(value) {
  return `${value < 10 ? value.toFixed(1) : Math.round(value)}×`
}

/** `spiffe://acme.io/ns/shop/sa/frontend` → `frontend`; `shop/frontend` → `frontend`; IPs stay. */
function shortName(identity) {
  if (!identity) return '—'
  const trimmed = String(identity).replace(/\/+$/, '')
  if (/^[\d.:a-f]+$/i.test(trimmed)) return trimmed
  const last = trimmed.split('/').pop()
  return last || trimmed
}

// ---------------------------------------------------------------------------------------------
// DOM helpers

function el(tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

function badge(severity, text) {
  return el(
    'span',
    `badge badge-${['page', 'ticket', 'info', 'ok'].includes(severity) ? severity : 'info'}`,
    text ?? severity,
  )
}

function empty(body, message = EMPTY) {
  body.replaceChildren(el('div', 'empty', message))
}

// ---------------------------------------------------------------------------------------------
// Login and session

function showLogin(message) {
  clearInterval(state.timer)
  state.timer = undefined
  $('#dashboard').hidden = true
  $('#controls').hidden = true
  $('#tabs').hidden = true
  $('#login').hidden = false
  $('#login-error').textContent = message ?? ''
  document.body.dataset.state = 'login'
  $('#token').focus()
}

async function login(event) {
  event.preventDefault()
  const button = $('#login-button')
  const input = $('#token')
  button.disabled = true
  $('#login-error').textContent = ''
  try {
    const response = await fetch('api/v1/session', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token: input.value.trim() }),
    })
    if (response.status === 201) {
      input.value = ''
      await start()
    } else if (response.status === 401) {
      $('#login-error').textContent = 'That token was not accepted.'
    } else {
      $('#login-error').textContent = `Sign-in failed (${response.status}).`
    }
  } catch (error) {
    $('#login-error').textContent = `Sign-in failed: ${error.message}`
  } finally {
    button.disabled = false
  }
}

async function logout() {
  try {
    await api('api/v1/session', { method: 'DELETE', headers: { 'content-type': 'application/json' } })
  } catch (error) {
    if (!(error instanceof Unauthenticated)) console.error(error)
  }
  showLogin('Signed out.')
}

// ---------------------------------------------------------------------------------------------
// Dashboard frame

async function start() {
  let session
  try {
    session = await api('api/v1/session')
  } catch (error) {
    if (error instanceof Unauthenticated) return showLogin()
    throw error
  }
  $('#login').hidden = true
  $('#tenant').textContent = session.tenant
  const { dashboards } = await api('api/v1/dashboards')
  state.dashboards = dashboards
  const wanted = location.hash.replace(/^#\/?/, '') || 'oncall'
  const id = dashboards.some((d) => d.id === wanted) ? wanted : dashboards[0]?.id
  if (!id) {
    $('#dashboard').hidden = false
    empty($('#dashboard'), 'no dashboards are declared')
    return
  }
  await openDashboard(id)
}

function renderTabs() {
  const tabs = $('#tabs')
  tabs.replaceChildren(
    ...state.dashboards.map((d) => {
      const link = el('a', d.id === state.dashboard?.id ? 'tab active' : 'tab', d.title)
      link.href = `#/${d.id}`
      if (d.description) link.title = d.description
      return link
    }),
  )
  tabs.hidden = state.dashboards.length === 0
}

function renderRanges() {
  const box = $('#ranges')
  box.replaceChildren(
    ...RANGES.map(([name]) => {
      const button = el('button', name === state.range ? 'range active' : 'range', name)
      button.type = 'button'
      button.addEventListener('click', () => {
        state.range = name
        renderRanges()
        refresh()
      })
      return button
    }),
  )
}

async function openDashboard(id) {
  const dashboard = await api(`api/v1/dashboards/${encodeURIComponent(id)}`)
  state.dashboard = dashboard
  state.range = dashboard.defaultRange
  document.title = `${dashboard.title} · Palisade`
  renderTabs()
  renderRanges()
  $('#controls').hidden = false
  const grid = $('#dashboard')
  grid.hidden = false
  state.panels.clear()
  grid.replaceChildren(
    ...dashboard.panels.map((panel) => {
      const section = el('section', `panel panel-${panel.type}`)
      section.dataset.panelId = panel.id
      section.dataset.state = 'loading'
      // CSSOM writes are allowed under the CSP; style attributes are not.
      section.style.gridColumn = `span ${panel.layout.columns}`
      section.style.gridRow = `span ${panel.layout.rows}`
      const header = el('header', 'panel-header')
      const titles = el('div', 'panel-titles')
      titles.append(el('h2', '', panel.title))
      if (panel.description) titles.append(el('p', 'panel-description', panel.description))
      const legend = el('div', 'legend')
      header.append(titles, legend)
      const body = el('div', 'panel-body')
      body.append(el('div', 'loading', 'loading…'))
      section.append(header, body)
      state.panels.set(panel.id, { panel, section, body, legend, data: undefined })
      return section
    }),
  )
  clearInterval(state.timer)
  state.timer = setInterval(refresh, dashboard.refreshSeconds * 1000)
  await refresh()
}

function currentRange() {
  const to = Date.now()
  const span = RANGES.find(([name]) => name === state.range)?.[1] ?? 6 * 3600e3
  return { from: to - span, to }
}

async function refresh() {
  if (!state.dashboard) return
  const range = currentRange()
  state.lastRange = range
  const results = await Promise.allSettled(
    [...state.panels.values()].map(async (entry) => {
      try {
        entry.data = await loaders[entry.panel.type](entry.panel, range)
        draw(entry, range)
      } catch (error) {
        if (error instanceof Unauthenticated) throw error
        entry.data = undefined
        entry.section.dataset.state = 'error'
        entry.legend.replaceChildren()
        empty(entry.body, `could not load: ${error.message}`)
        entry.body.firstChild.classList.add('error')
      }
    }),
  )
  if (results.some((r) => r.status === 'rejected' && r.reason instanceof Unauthenticated)) {
    showLogin('Your session ended. Sign in again.')
    return
  }
  $('#updated').textContent = `updated ${utcSeconds(new Date())} UTC`
  document.body.dataset.state = 'ready'
}

function draw(entry, range) {
  const drawn = drawers[entry.panel.type](entry, entry.data, range)
  entry.section.dataset.state = drawn === false ? 'empty' : 'ready'
}

// ---------------------------------------------------------------------------------------------
// Loaders: one per panel type, each answering the data its drawer needs.

const panelRows = (query, range, extra = {}) =>
  api(
    `api/v1/panels/${encodeURIComponent(query)}?${qs({ from: Math.round(range.from), to: Math.round(range.to), ...extra })}`,
  ).then((answer) => answer.rows)

const loaders = {
  async 'slo-status'(_panel, range) {
    const { slos } = await api('api/v1/slos')
    const series = await Promise.all(
      slos.map((slo) =>
        api(
          `api/v1/slos/${encodeURIComponent(slo.name)}/burn-rate?${qs({ from: Math.round(range.from), to: Math.round(range.to) })}`,
        )
          .then((answer) => answer.points)
          .catch((error) => {
            if (error instanceof Unauthenticated) throw error
            return []
          }),
      ),
    )
    return slos.map((slo, index) => ({ slo, points: series[index] ?? [] }))
  },
  'slo-list': () => loadSloList(api, (error) => error instanceof Unauthenticated),
  async 'findings-table'(panel, range) {
    const query = qs({
      from: Math.round(range.from),
      to: Math.round(range.to),
      limit: panel.limit,
      severity: panel.severity,
      rule: panel.rule,
    })
    return (await api(`api/v1/findings?${query}`)).findings
  },
  timeseries: (panel, range) => panelRows(panel.query, range),
  incidents: (panel, range) => panelRows(panel.query, range, { limit: 50 }),
  table: (panel, range) => panelRows(panel.query, range, { limit: 50 }),
  async 'service-graph'(panel, range) {
    const [edges, fresh] = await Promise.all([
      panelRows(panel.query, range, { limit: 300 }),
      panel.highlightQuery ? panelRows(panel.highlightQuery, range, { limit: 300 }) : [],
    ])
    return { edges, fresh }
  },
}

// ---------------------------------------------------------------------------------------------
// Drawers: return false when there is nothing to show.

const drawers = {
  'slo-status': drawSloStatus,
  'slo-list': drawSloList,
  'findings-table': drawFindings,
  timeseries: drawTimeseries,
  incidents: drawIncidents,
  table: drawTable,
  'service-graph': drawServiceGraph,
}

function drawSloStatus(entry, items, range) {
  entry.legend.replaceChildren()
  if (items.length === 0) {
    empty(entry.body, 'no SLOs are defined for this tenant')
    return false
  }
  const cards = el('div', 'slo-cards')
  entry.body.replaceChildren(cards)
  const charts = []
  for (const { slo, points } of items) {
    const firing = slo.tiers.filter((tier) => tier.firing)
    const worst = firing.some((tier) => tier.severity === 'page')
      ? 'page'
      : firing.length > 0
        ? 'ticket'
        : 'ok'
    const card = el('article', `slo-card slo-${worst}`)
    card.dataset.slo = slo.name

    const head = el('div', 'slo-head')
    const name = el('div', 'slo-name')
    const title = el('h3', '', slo.displayName || slo.name)
    title.title = slo.name
    name.append(title, el('span', 'chip', slo.service))
    const status = firing.length === 0 ? badge('ok', 'within budget') : badge(worst, `${worst} firing`)
    head.append(name, status)

    // Which multiwindow tiers fire, in the SLO file's notation: "1h/5m ≥ 14.4×".
    const tiers = el('div', 'slo-tiers')
    for (const tier of firing) {
      const t = el(
        'span',
        `tier tier-${tier.severity}`,
        `${tier.severity} ${tier.longWindow}/${tier.shortWindow} ≥ ${tier.threshold}×`,
      )
      t.title = `burn rate above ${tier.threshold}× over both ${tier.longWindow} and ${tier.shortWindow}`
      tiers.append(t)
    }

    const stats = el('div', 'slo-stats')
    const sli = el('div', 'stat')
    sli.append(el('span', 'stat-label', 'SLI'), el('span', 'stat-value', percent(slo.sli)))
    sli.append(el('span', 'stat-note', `target ${percent(slo.objective)} · ${slo.window}`))
    const budget = el('div', 'stat')
    const left = slo.budgetRemaining
    const budgetClass = left <= 0 ? 'bad' : left < 0.5 ? 'warn' : 'good'
    budget.append(
      el('span', 'stat-label', 'budget left'),
      el('span', `stat-value ${budgetClass}`, budgetPercent(left)),
    )
    const bar = el('div', 'budget-bar')
    const fill = el('div', `budget-fill ${budgetClass}`)
    fill.style.width = `${Math.max(0, Math.min(1, left)) * 100}%`
    bar.append(fill)
    budget.append(bar)
    // Say what the figure is over (partial data is labelled as such) and when it runs out.
    const words = budgetWords(slo)
    const span = el('span', words.partial ? 'stat-note coverage partial' : 'stat-note coverage', words.span)
    if (words.partial) span.title = words.coverageNote
    budget.append(span, el('span', 'stat-note exhaustion', words.exhaustion))
    stats.append(sli, budget)

    const windows = el('div', 'burn-windows')
    for (const w of slo.burnRates) {
      const threshold = Math.min(
        ...slo.tiers
          .filter((t) => t.longWindow === w.window || t.shortWindow === w.window)
          .map((t) => t.threshold),
      )
      const hot = Number.isFinite(threshold) && w.burnRate >= threshold
      const cell = el('span', hot ? 'burn hot' : w.burnRate >= 1 ? 'burn warm' : 'burn')
      cell.append(el('span', 'burn-window', w.window), el('span', 'burn-value', burn(w.burnRate)))
      cell.title = `${count(w.total - w.good)} bad of ${count(w.total)} over ${w.window}`
      windows.append(cell)
    }

    const chart = el('div', 'slo-chart')
    card.append(head, stats, windows)
    if (firing.length > 0) card.append(tiers)
    card.append(chart)
    cards.append(card)
    charts.push(() => drawBurnChart(chart, slo, points, range))
  }
  // Charts are sized once every card is in the grid: each card's width depends on how many there are.
  for (const drawChart of charts) drawChart()
  return true
}

function drawBurnChart(container, slo, points, range) {
  const width = Math.max(container.clientWidth, 200)
  const height = Math.max(container.clientHeight, 70)
  if (points.length === 0) {
    container.append(el('div', 'empty small', EMPTY))
    return
  }
  const margin = { top: 6, right: 10, bottom: 18, left: 34 }
  const max = d3.max(points, (p) => p.burnRate) ?? 0
  const top = Math.max(max * 1.15, 1.5)
  const x = d3.scaleUtc([range.from, range.to], [margin.left, width - margin.right])
  const y = d3.scaleLinear([0, top], [height - margin.bottom, margin.top]).nice()
  const svg = d3
    .select(container)
    .append('svg')
    .attr('class', 'chart burn-chart')
    .attr('width', width)
    .attr('height', height)
  axes(svg, x, y, width, height, margin, (v) => `${v}×`, range)
  const thresholds = [...new Set(slo.tiers.map((t) => t.threshold))].filter((t) => t < y.domain()[1])
  for (const t of thresholds) {
    svg
      .append('line')
      .attr('class', 'threshold')
      .attr('x1', margin.left)
      .attr('x2', width - margin.right)
      .attr('y1', y(t))
      .attr('y2', y(t))
    svg
      .append('text')
      .attr('class', 'threshold-label')
      .attr('x', width - margin.right - 2)
      .attr('y', y(t) - 3)
      .attr('text-anchor', 'end')
      .text(`${t}×`)
  }
  const line = d3
    .line()
    .x((p) => x(p.ts))
    .y((p) => y(p.burnRate))
  svg.append('path').attr('class', 'series burn-line').attr('d', line(points)).attr('stroke', '#ff7b72')
  svg
    .append('text')
    .attr('class', 'chart-note')
    .attr('x', margin.left + 4)
    .attr('y', margin.top + 10)
    .text('burn rate, 1h window')
}

function axes(svg, x, y, width, height, margin, yFormat, range, integers = false) {
  const yTicks = y.ticks(Math.max(2, Math.floor((height - margin.top - margin.bottom) / 28)))
  const long = range.to - range.from > 24 * 3600e3
  svg
    .append('g')
    .attr('class', 'axis axis-x')
    .attr('transform', `translate(0,${height - margin.bottom})`)
    .call(
      d3
        .axisBottom(x)
        .ticks(Math.max(2, Math.floor((width - margin.left) / 90)))
        .tickFormat(long ? d3.utcFormat('%b %d') : d3.utcFormat('%H:%M'))
        .tickSizeOuter(0),
    )
  svg
    .append('g')
    .attr('class', 'axis axis-y')
    .attr('transform', `translate(${margin.left},0)`)
    .call(
      d3
        .axisLeft(y)
        // Counts have no half events: keep whole ticks only.
        .tickValues(integers ? yTicks.filter(Number.isInteger) : yTicks)
        .tickFormat(yFormat)
        .tickSize(-(width - margin.left - margin.right)),
    )
    .call((g) => g.select('.domain').remove())
}

/** Points of one series with `null` inserted where buckets are missing, so the line breaks. */
function withGaps(rows, field, stepMs) {
  const points = []
  let previous
  for (const row of rows) {
    const value = row[field]
    if (previous !== undefined && row.ts_ms - previous > stepMs * 1.5)
      points.push({ t: previous + stepMs, v: null })
    points.push({ t: row.ts_ms, v: value === null || value === undefined ? null : Number(value) })
    previous = row.ts_ms
  }
  return points
}

function drawTimeseries(entry, rows, range) {
  const { panel, body, legend } = entry
  legend.replaceChildren()
  const series = panel.series.map((s, i) => ({ ...s, color: PALETTE[i % PALETTE.length] }))
  const values = rows
    .flatMap((row) => panel.series.map((s) => row[s.field]))
    .filter((v) => v !== null && v !== undefined)
  if (values.length === 0) {
    empty(body)
    return false
  }
  // Legend with the latest value of each series; hovering the chart shows the values at that time.
  const legendValues = series.map((s) => {
    const item = el('span', 'legend-item')
    const swatch = el('span', 'swatch')
    swatch.style.background = s.color
    const value = el('span', 'legend-value')
    item.append(swatch, el('span', '', s.label), value)
    legend.append(item)
    return value
  })
  body.replaceChildren()
  const stepMs = rows.length > 1 ? d3.min(d3.pairs(rows), ([a, b]) => b.ts_ms - a.ts_ms) : 60e3
  for (const s of series) s.points = withGaps(rows, s.field, stepMs)
  // Measured after the legend is filled: a legend that wraps takes height from the chart.
  const width = Math.max(body.clientWidth, 200)
  const height = Math.max(body.clientHeight, 100)
  const margin = { top: 10, right: 12, bottom: 22, left: panel.unit === 'ratio' ? 56 : 46 }
  let lo = d3.min(values)
  let hi = d3.max(values)
  if (panel.unit === 'ratio') {
    // Ratios near 1 (success, availability) are read by their distance from 1: zoom in, do not start at 0.
    const pad = Math.max((hi - lo) * 0.15, 0.0005)
    lo = Math.max(0, lo - pad)
    hi = Math.min(1, hi + pad)
    if (lo > 0.5 && hi < 1 && panel.thresholds.some((t) => t.value > hi))
      hi = Math.min(1, Math.max(...panel.thresholds.map((t) => t.value)) + pad / 2)
    if (lo < 0.5) lo = 0
  } else {
    lo = 0
    hi = Math.max(hi * 1.15, panel.unit === 'count' ? 1 : 0.001)
  }
  for (const t of panel.thresholds) if (t.value > hi && t.value <= hi * 1.6) hi = t.value * 1.1
  const x = d3.scaleUtc([range.from, range.to], [margin.left, width - margin.right])
  const y = d3.scaleLinear([lo, hi], [height - margin.bottom, margin.top]).nice()
  const svg = d3.select(body).append('svg').attr('class', 'chart').attr('width', width).attr('height', height)
  const ticks = y.ticks(Math.max(2, Math.floor((height - margin.top - margin.bottom) / 28)))
  const tickStep = ticks.length > 1 ? ticks[1] - ticks[0] : 1
  const yFormat =
    panel.unit === 'ratio'
      ? d3.format(`.${Math.max(0, d3.precisionFixed(tickStep) - 2)}%`)
      : panel.unit === 'ms'
        ? (v) => `${d3.format(',~g')(v)} ms`
        : d3.format(',~d')
  axes(svg, x, y, width, height, margin, yFormat, range, panel.unit === 'count')
  for (const t of panel.thresholds) {
    if (t.value < y.domain()[0] || t.value > y.domain()[1]) continue
    svg
      .append('line')
      .attr('class', 'threshold')
      .attr('x1', margin.left)
      .attr('x2', width - margin.right)
      .attr('y1', y(t.value))
      .attr('y2', y(t.value))
    svg
      .append('text')
      .attr('class', 'threshold-label')
      .attr('x', width - margin.right - 2)
      .attr('y', y(t.value) - 3)
      .attr('text-anchor', 'end')
      .text(t.label)
  }
  const line = d3
    .line()
    .defined((p) => p.v !== null)
    .x((p) => x(p.t))
    .y((p) => y(p.v))
  for (const s of series) {
    svg.append('path').attr('class', 'series').attr('stroke', s.color).attr('d', line(s.points))
    // A lone point between gaps draws no line segment: mark it with a dot.
    const lone = s.points.filter(
      (p, i, all) => p.v !== null && (all[i - 1]?.v ?? null) === null && (all[i + 1]?.v ?? null) === null,
    )
    svg
      .selectAll(null)
      .data(lone)
      .join('circle')
      .attr('class', 'lone-point')
      .attr('r', 2.5)
      .attr('fill', s.color)
      .attr('cx', (p) => x(p.t))
      .attr('cy', (p) => y(p.v))
  }

  const showAt = (row) => {
    series.forEach((s, i) => {
      legendValues[i].textContent = formatValue(row?.[s.field], panel.unit)
    })
  }
  const lastRow = rows[rows.length - 1]
  showAt(lastRow)
  const focus = svg
    .append('line')
    .attr('class', 'focus')
    .attr('y1', margin.top)
    .attr('y2', height - margin.bottom)
    .attr('visibility', 'hidden')
  const bisect = d3.bisector((row) => row.ts_ms).center
  svg
    .append('rect')
    .attr('class', 'hover-target')
    .attr('x', margin.left)
    .attr('y', margin.top)
    .attr('width', width - margin.left - margin.right)
    .attr('height', height - margin.top - margin.bottom)
    .on('mousemove', (event) => {
      const [px] = d3.pointer(event)
      const row = rows[bisect(rows, x.invert(px).getTime())]
      if (!row) return
      focus.attr('x1', x(row.ts_ms)).attr('x2', x(row.ts_ms)).attr('visibility', 'visible')
      showAt(row)
    })
    .on('mouseleave', () => {
      focus.attr('visibility', 'hidden')
      showAt(lastRow)
    })
  return true
}

function entityChips(entities) {
  const chips = el('div', 'entities')
  for (const [role, value] of Object.entries(entities ?? {})) {
    const chip = el('span', 'chip')
    chip.title = `${role}: ${value}`
    chip.append(
      el('span', 'chip-role', role.replace(/_identity$/, '').replace(/_/g, ' ')),
      document.createTextNode(shortName(value)),
    )
    chips.append(chip)
  }
  return chips
}

function drawFindings(entry, findings, range) {
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
  for (const finding of findings) {
    const item = el('li', 'finding')
    item.dataset.findingId = finding.finding_id
    const when = el('time', 'when', time(finding.ts, range))
    when.dateTime = new Date(finding.ts).toISOString()
    when.title = new Date(finding.ts).toISOString()
    const main = el('div', 'finding-main')
    const title = el('div', 'finding-title')
    title.append(
      badge(finding.severity),
      el('span', 'finding-name', finding.title),
      el('span', 'rule', finding.rule),
    )
    main.append(title, el('p', 'summary', finding.summary), entityChips(finding.entities))
    item.append(when, main)
    list.append(item)
  }
  entry.body.replaceChildren(list)
  return true
}

function drawIncidents(entry, incidents, range) {
  entry.legend.replaceChildren()
  if (incidents.length === 0) {
    empty(entry.body, 'no active incidents in this window')
    return false
  }
  entry.legend.append(el('span', 'muted', `${incidents.length} active`))
  const list = el('ol', 'incidents')
  for (const incident of incidents) {
    const item = el('li', `incident incident-${incident.last_severity}`)
    const title = el('div', 'incident-title')
    title.append(
      badge(incident.last_severity),
      el('span', 'incident-name', incident.alert || incident.dedup_key),
    )
    const meta = el(
      'div',
      'incident-meta',
      `since ${time(incident.opened_ms, range)} UTC · ${(incident.receivers ?? []).join(', ')} · ${incident.last_status}`,
    )
    item.append(title, el('p', 'summary', incident.last_summary), meta)
    list.append(item)
  }
  entry.body.replaceChildren(list)
  return true
}

function drawTable(entry, rows, range) {
  entry.legend.replaceChildren()
  if (rows.length === 0) {
    empty(entry.body)
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
      const td = el('td', column.format === 'count' || column.format === 'ratio' ? 'num' : '', text)
      if (typeof raw === 'string' && raw.length > 0) td.title = raw
      tr.append(td)
    }
    table.tBodies[0].append(tr)
  }
  entry.body.replaceChildren(table)
  return true
}

function drawServiceGraph(entry, { edges, fresh }) {
  const { body, legend } = entry
  legend.replaceChildren()
  const legendItem = (className, label) => {
    const item = el('span', 'legend-item')
    item.append(el('span', `edge-swatch ${className}`), el('span', '', label))
    return item
  }
  legend.append(legendItem('flow', 'flow'), legendItem('fresh', 'new edge'), legendItem('blocked', 'blocked'))
  if (edges.length === 0 && fresh.length === 0) {
    empty(body)
    return false
  }
  // One link per (src, dst); ports are listed on it. New-edge findings may name a port or not.
  const key = (src, dst) => `${src}\u0000${dst}`
  const freshPorts = new Map()
  for (const row of fresh) {
    const ports = freshPorts.get(key(row.src, row.dst)) ?? new Set()
    ports.add(row.dst_port ?? 'any')
    freshPorts.set(key(row.src, row.dst), ports)
  }
  const links = new Map()
  for (const row of edges) {
    const k = key(row.src, row.dst)
    const link = links.get(k) ?? {
      source: row.src,
      target: row.dst,
      ports: [],
      flows: 0,
      blocked: 0,
      fresh: false,
    }
    link.ports.push(row.dst_port)
    link.flows += row.flows
    link.blocked += row.blocked
    const ports = freshPorts.get(k)
    if (ports && (ports.has('any') || ports.has(row.dst_port))) link.fresh = true
    links.set(k, link)
  }
  // A new edge whose flows fell outside the window (or were not stored) is still drawn.
  for (const row of fresh) {
    const k = key(row.src, row.dst)
    if (!links.has(k) && row.src && row.dst) {
      links.set(k, {
        source: row.src,
        target: row.dst,
        ports: row.dst_port ? [row.dst_port] : [],
        flows: 0,
        blocked: 0,
        fresh: true,
      })
    }
  }
  const linkList = [...links.values()]
  const degree = new Map()
  for (const link of linkList) {
    degree.set(link.source, (degree.get(link.source) ?? 0) + 1)
    degree.set(link.target, (degree.get(link.target) ?? 0) + 1)
  }
  const freshNodes = new Set(linkList.filter((l) => l.fresh).flatMap((l) => [l.source, l.target]))
  const nodes = [...degree.keys()].sort().map((id) => ({ id, degree: degree.get(id) }))
  const radius = (node) => 6 + Math.sqrt(node.degree) * 2.5

  const width = Math.max(body.clientWidth, 300)
  const height = Math.max(body.clientHeight, 200)
  const simulation = d3
    .forceSimulation(nodes)
    .force(
      'link',
      d3
        .forceLink(linkList)
        .id((d) => d.id)
        .distance(Math.min(width, height) / 3.2)
        .strength(0.5),
    )
    .force('charge', d3.forceManyBody().strength(-520))
    .force(
      'collide',
      d3.forceCollide((d) => radius(d) + 26),
    )
    .force('x', d3.forceX(width / 2).strength(0.05))
    .force('y', d3.forceY(height / 2).strength(0.09))
    .stop()
  // Settle the layout before drawing: a static, reproducible picture rather than a jiggling one.
  for (let i = 0; i < 400; i++) simulation.tick()
  const pad = 40
  const [minX, maxX] = d3.extent(nodes, (n) => n.x)
  const [minY, maxY] = d3.extent(nodes, (n) => n.y)
  const sx = d3.scaleLinear([minX, maxX === minX ? minX + 1 : maxX], [pad + 30, width - pad - 30])
  // Leave the top-left corner to the new-edge note so it never covers a node.
  const top = linkList.some((l) => l.fresh) ? 78 : pad
  const sy = d3.scaleLinear([minY, maxY === minY ? minY + 1 : maxY], [top, height - pad - 10])
  for (const n of nodes) {
    n.x = nodes.length === 1 ? width / 2 : sx(n.x)
    n.y = nodes.length === 1 ? height / 2 : sy(n.y)
  }

  body.replaceChildren()
  const svg = d3.select(body).append('svg').attr('class', 'graph').attr('width', width).attr('height', height)
  const defs = svg.append('defs')
  for (const [name, color] of [
    ['flow', COLORS.edge],
    ['fresh', COLORS.fresh],
    ['blocked', COLORS.blocked],
  ]) {
    defs
      .append('marker')
      .attr('id', `arrow-${name}`)
      .attr('viewBox', '0 -5 10 10')
      .attr('refX', 9)
      .attr('markerWidth', 7)
      .attr('markerHeight', 7)
      .attr('orient', 'auto')
      .append('path')
      .attr('d', 'M0,-4L10,0L0,4')
      .attr('fill', color)
  }
  const kind = (link) => (link.fresh ? 'fresh' : link.blocked > 0 ? 'blocked' : 'flow')
  const width_ = d3.scaleLog([1, d3.max(linkList, (l) => Math.max(1, l.flows)) + 1], [1.2, 3.5])
  // Lines stop at the circles' edges so that arrowheads stay visible.
  const ends = (link) => {
    const dx = link.target.x - link.source.x
    const dy = link.target.y - link.source.y
    const length = Math.hypot(dx, dy) || 1
    const rs = radius(link.source) + 2
    const rt = radius(link.target) + 4
    return {
      x1: link.source.x + (dx / length) * rs,
      y1: link.source.y + (dy / length) * rs,
      x2: link.target.x - (dx / length) * rt,
      y2: link.target.y - (dy / length) * rt,
    }
  }
  const edge = svg
    .append('g')
    .selectAll('line')
    .data(linkList.sort((a, b) => Number(a.fresh) - Number(b.fresh)))
    .join('line')
    .attr('class', (l) => `edge ${kind(l)}`)
    .attr('data-src', (l) => l.source.id)
    .attr('data-dst', (l) => l.target.id)
    .attr('stroke-width', (l) => (l.fresh ? 3 : width_(Math.max(1, l.flows))))
    .attr('marker-end', (l) => `url(#arrow-${kind(l)})`)
    .each(function (l) {
      const e = ends(l)
      d3.select(this).attr('x1', e.x1).attr('y1', e.y1).attr('x2', e.x2).attr('y2', e.y2)
    })
  edge
    .append('title')
    .text(
      (l) =>
        `${l.source.id} → ${l.target.id}\nports ${l.ports.join(', ') || '—'} · ${count(l.flows)} flows · ${count(l.blocked)} blocked${l.fresh ? '\nnew edge (lateral.new_edge)' : ''}`,
    )
  // Port labels only where they matter: new and blocked edges.
  svg
    .append('g')
    .selectAll('text')
    .data(linkList.filter((l) => l.fresh || l.blocked > 0))
    .join('text')
    .attr('class', (l) => `edge-label ${kind(l)}`)
    .attr('x', (l) => (l.source.x + l.target.x) / 2)
    .attr('y', (l) => (l.source.y + l.target.y) / 2 - 5)
    .attr('text-anchor', 'middle')
    .text((l) => (l.ports.length ? `:${l.ports.join(', :')}` : 'new'))
  const node = svg
    .append('g')
    .selectAll('g')
    .data(nodes)
    .join('g')
    .attr('class', (n) => (freshNodes.has(n.id) ? 'node fresh' : 'node'))
    .attr('transform', (n) => `translate(${n.x},${n.y})`)
  node.append('circle').attr('r', radius)
  node
    .append('text')
    .attr('class', 'node-label')
    .attr('y', (n) => radius(n) + 13)
    .attr('text-anchor', 'middle')
    .text((n) => shortName(n.id))
  node.append('title').text((n) => n.id)

  const freshList = linkList.filter((l) => l.fresh)
  if (freshList.length > 0) {
    const note = el('div', 'graph-note')
    note.append(
      el('span', 'graph-note-title', `${freshList.length} new edge${freshList.length > 1 ? 's' : ''}`),
    )
    for (const l of freshList.slice(0, 4)) {
      note.append(
        el(
          'span',
          'graph-note-edge',
          `${shortName(l.source.id)} → ${shortName(l.target.id)}${l.ports.length ? `:${l.ports[0]}` : ''}`,
        ),
      )
    }
    body.append(note)
  }
  return true
}

// ---------------------------------------------------------------------------------------------
// Wiring

$('#login-form').addEventListener('submit', login)
$('#logout').addEventListener('click', logout)
window.addEventListener('hashchange', () => {
  const id = location.hash.replace(/^#\/?/, '')
  if (state.dashboard && id && id !== state.dashboard.id && state.dashboards.some((d) => d.id === id))
    openDashboard(id)
})
let resizeTimer
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer)
  resizeTimer = setTimeout(() => {
    for (const entry of state.panels.values())
      if (entry.data !== undefined && state.lastRange) draw(entry, state.lastRange)
  }, 150)
})

start().catch((error) => {
  console.error(error)
  showLogin(`Could not load the dashboard: ${error.message}`)
})
