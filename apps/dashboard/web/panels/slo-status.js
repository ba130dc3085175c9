import { d3 } from '../d3.js'
import { badge, EMPTY, el, empty } from '../dom.js'
import { burn, count, percent } from '../format.js'
import { axes } from './axes.js'
import { budgetPercent, budgetWords } from './slo-budget.js'

export function drawSloStatus(entry, items, range) {
  entry.legend.replaceChildren()
  if (items.length === 0) {
    empty(entry.body, 'no SLOs are defined for this tenant')
    return false
  }
  const cards = el('div', 'slo-cards')
  entry.body.replaceChildren(cards)
  const charts = []
  for (const { slo, points, gate } of items) {
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
    // The rollout gate: automated rollouts of this service wait while its budget burns (GET /api/v1/gate).
    if (gate?.frozen) {
      const frozen = badge('page', 'rollouts frozen')
      frozen.classList.add('rollout-frozen')
      frozen.title = gate.message
      name.append(frozen)
    }

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

export function drawBurnChart(container, slo, points, range) {
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
