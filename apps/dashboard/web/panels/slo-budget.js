// SLO budgets for people: the words under a budget (what span it covers, when it runs out), the
// budget burn-down chart over the SLO window, and the SLO list page (panel type `slo-list`), worst
// first. Its own module so the SLO views stay apart from the rest of the dashboard. Every text from
// the API goes through textContent, never innerHTML.

import { d3 } from '../d3.js'
import { el } from '../dom.js'
import { axes } from './axes.js'

/** A fraction as a percentage; more digits near 100 % where the nines matter. */
export function budgetPercent(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—'
  const p = value * 100
  const digits = Math.abs(p) < 1 && p !== 0 ? 2 : Math.abs(p) >= 1000 ? 0 : 1
  return `${p < 0 ? '−' : ''}${Math.abs(p).toFixed(digits)}%`
}

/** A span for people, in its two largest units: `8d 20h`, `3h 5m`, `40m`. */
export function spanText(ms) {
  let minutes = Math.max(0, Math.floor(ms / 60_000))
  const parts = []
  for (const [unit, size] of [
    ['d', 1440],
    ['h', 60],
    ['m', 1],
  ]) {
    if (minutes >= size) {
      parts.push(`${Math.floor(minutes / size)}${unit}`)
      minutes %= size
    }
    if (parts.length === 2) break
  }
  return parts.length === 0 ? 'under a minute' : parts.join(' ')
}

/** An SLI or a target: the nines matter, so three decimals between 99 % and 100 %. */
function sliPercent(value) {
  const p = value * 100
  return `${p.toFixed(p >= 99 && p < 100 ? 3 : 1)}%`
}

const burnText = (value) => `${value < 10 ? value.toFixed(1) : Math.round(value)}×`

/** `good`, `warn` or `bad`, for the colour of a budget. */
export function budgetClass(left) {
  return left <= 0 ? 'bad' : left < 0.5 ? 'warn' : 'good'
}

/**
 * What a budget figure means, in words: the span it is computed over (plainly partial when the data
 * covers less than the SLO window) and when it runs out at the current burn rate.
 */
export function budgetWords(slo) {
  const { coverage, budget } = slo
  let span
  if (!coverage || coverage.from === null) span = `no traffic in the ${slo.window} window`
  else if (coverage.complete) span = `of the ${slo.window} budget`
  else span = `over the ${coverage.covered} covered, not the ${slo.window} window`
  let exhaustion
  const burn = budget ? `${burnText(budget.currentBurnRate)} over ${budget.currentBurnWindow}` : ''
  if (!budget) exhaustion = ''
  else if (budget.exhaustsInMs === 0) exhaustion = 'budget spent'
  else if (budget.exhaustsInMs === null) exhaustion = `not burning (${budget.currentBurnWindow})`
  else exhaustion = `runs out in ${spanText(budget.exhaustsInMs)} at ${burn}`
  const partial = coverage && coverage.from !== null && !coverage.complete
  return {
    span,
    exhaustion,
    partial,
    coverageNote: partial
      ? `Data covers ${coverage.covered} of the ${slo.window} window: the budget is computed over those ${coverage.covered} only.`
      : '',
  }
}

/**
 * The SLO list: statuses worst first (the API's order) and each one's budget burn-down. A burn-down
 * that fails to load leaves its chart empty, unless `fatal(error)` says the whole page must stop
 * (the session ended).
 */
export async function loadSloList(api, fatal) {
  const { slos } = await api('api/v1/slos')
  const burnDowns = await Promise.all(
    slos.map((slo) =>
      api(`api/v1/slos/${encodeURIComponent(slo.name)}/budget`).catch((error) => {
        if (fatal(error)) throw error
        return { error }
      }),
    ),
  )
  return slos.map((slo, index) => ({ slo, burnDown: burnDowns[index] }))
}

function worstTier(slo) {
  const firing = slo.tiers.filter((tier) => tier.firing)
  if (firing.some((tier) => tier.severity === 'page')) return 'page'
  return firing.length > 0 ? 'ticket' : 'ok'
}

/** Draws the `slo-list` panel; false when the tenant has no SLOs. */
export function drawSloList(entry, items) {
  entry.legend.replaceChildren()
  if (items.length === 0) {
    entry.body.replaceChildren(el('div', 'empty', 'no SLOs are defined for this tenant'))
    return false
  }
  const list = el('ol', 'slo-list')
  entry.body.replaceChildren(list)
  const charts = []
  for (const { slo, burnDown } of items) {
    const worst = worstTier(slo)
    const words = budgetWords(slo)
    const row = el('li', `slo-row slo-${worst}`)
    row.dataset.slo = slo.name

    const name = el('div', 'slo-row-name')
    const title = el('h3', '', slo.displayName || slo.name)
    title.title = slo.name
    const status = el('span', `badge badge-${worst}`, worst === 'ok' ? 'within budget' : `${worst} firing`)
    name.append(title, el('span', 'chip', slo.service), status)

    const sli = el('div', 'stat')
    sli.append(
      el('span', 'stat-label', 'SLI'),
      el('span', 'stat-value', sliPercent(slo.sli)),
      el('span', 'stat-note', `target ${sliPercent(slo.objective)} · ${slo.window}`),
    )

    const left = slo.budgetRemaining
    const budget = el('div', 'stat slo-row-budget')
    const bar = el('div', 'budget-bar')
    const fill = el('div', `budget-fill ${budgetClass(left)}`)
    fill.style.width = `${Math.max(0, Math.min(1, left)) * 100}%`
    bar.append(fill)
    budget.append(
      el('span', 'stat-label', 'budget left'),
      el('span', `stat-value ${budgetClass(left)}`, budgetPercent(left)),
      bar,
      el('span', words.partial ? 'stat-note coverage partial' : 'stat-note coverage', words.span),
    )

    const exhaustion = el('div', 'stat slo-row-exhaustion')
    exhaustion.append(
      el('span', 'stat-label', 'at the current burn'),
      el('span', 'exhaustion', words.exhaustion),
    )

    const chart = el('div', 'burn-down')
    row.append(name, sli, budget, exhaustion, chart)
    if (words.partial) {
      const note = el('p', 'coverage-note', words.coverageNote)
      row.append(note)
    }
    list.append(row)
    charts.push(() => drawBurnDown(chart, slo, burnDown))
  }
  for (const drawChart of charts) drawChart()
  return true
}

/**
 * The budget left over the SLO window, from its start to now; the span before the first data is
 * shaded and labelled, so a short history is never mistaken for a quiet month.
 */
export function drawBurnDown(container, slo, burnDown) {
  container.replaceChildren()
  if (!burnDown || burnDown.error || burnDown.points.length === 0) {
    container.append(el('div', 'empty small', 'no burn-down'))
    return
  }
  const width = Math.max(container.clientWidth, 220)
  const height = Math.max(container.clientHeight, 80)
  const margin = { top: 8, right: 12, bottom: 18, left: 44 }
  const points = burnDown.points
  const low = Math.min(0, d3.min(points, (p) => p.budgetRemaining) ?? 0)
  const x = d3.scaleUtc([burnDown.from, burnDown.to], [margin.left, width - margin.right])
  const y = d3.scaleLinear([low, 1], [height - margin.bottom, margin.top]).nice(4)
  const svg = d3
    .select(container)
    .append('svg')
    .attr('class', 'chart burn-down-chart')
    .attr('width', width)
    .attr('height', height)

  const coveredFrom = slo.coverage?.from
  if (coveredFrom !== null && coveredFrom !== undefined && coveredFrom > burnDown.from) {
    const gap = svg.append('g').attr('class', 'no-data')
    gap
      .append('rect')
      .attr('x', x(burnDown.from))
      .attr('y', margin.top)
      .attr('width', Math.max(0, x(coveredFrom) - x(burnDown.from)))
      .attr('height', height - margin.top - margin.bottom)
    gap
      .append('text')
      .attr('x', x(burnDown.from) + 6)
      .attr('y', margin.top + 12)
      .text(`no data before ${d3.utcFormat('%b %d %H:%M')(new Date(coveredFrom))}`)
  }

  axes(svg, x, y, width, height, margin, (v) => budgetPercent(v), burnDown)
  svg
    .append('line')
    .attr('class', 'threshold')
    .attr('x1', margin.left)
    .attr('x2', width - margin.right)
    .attr('y1', y(0))
    .attr('y2', y(0))
  svg
    .append('text')
    .attr('class', 'threshold-label')
    .attr('x', width - margin.right - 2)
    .attr('y', y(0) - 3)
    .attr('text-anchor', 'end')
    .text('budget spent')

  const line = d3
    .line()
    .x((p) => x(p.ts))
    .y((p) => y(p.budgetRemaining))
  const last = points.at(-1)
  svg
    .append('path')
    .attr('class', `series burn-down-line ${budgetClass(last.budgetRemaining)}`)
    .attr('d', line(points))
  svg
    .append('text')
    .attr('class', 'chart-note')
    .attr('x', margin.left + 4)
    .attr('y', height - margin.bottom - 5)
    .text(`budget left over the ${burnDown.window} window`)
}
