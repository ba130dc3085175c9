import { d3 } from '../d3.js'
import { el, empty } from '../dom.js'
import { formatValue, utcSeconds } from '../format.js'
import { state } from '../state.js'
import { PALETTE } from '../theme.js'
import { setUrlParams } from '../url-state.js'
import { axes, withGaps } from './axes.js'
import { bandLegend, bandValues, drawBand } from './baseline-band.js'

/** Zoom every chart to [from, to] (epoch ms): an absolute range in the URL, like a custom one. */
function zoomTo(from, to) {
  setUrlParams({ from: String(Math.round(from)), to: String(Math.round(to)) })
  state.rerender()
}

export function drawTimeseries(entry, data, range) {
  const { panel, body, legend } = entry
  // Loaded as {rows, annotations}; a bare array (an older caller) has no annotations.
  const { rows, annotations = [], baseline } = Array.isArray(data) ? { rows: data } : data
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
  // The usual range behind the series the detectors baseline, in that series' colour.
  const bandColor = (series.find((s) => s.field === baseline?.field) ?? series[0]).color
  const bandItem = bandLegend(baseline, {
    color: bandColor,
    unit: panel.unit,
    stepMs: baseline?.stepMs ?? stepMs,
    note: panel.baseline?.note,
  })
  if (bandItem) legend.append(bandItem.item)
  // The latest values go in before the chart is sized: the legend's wrapping depends on them.
  series.forEach((s, i) => {
    legendValues[i].textContent = formatValue(rows[rows.length - 1]?.[s.field], panel.unit)
  })
  for (const s of series) s.points = withGaps(rows, s.field, stepMs)
  // Measured after the legend is filled: a legend that wraps takes height from the chart.
  const width = Math.max(body.clientWidth, 200)
  const height = Math.max(body.clientHeight, 100)
  const margin = { top: 10, right: 12, bottom: 22, left: panel.unit === 'ratio' ? 56 : 46 }
  // The band is part of the picture: the scale holds it too.
  const scaled = [...values, ...bandValues(baseline)]
  let lo = d3.min(scaled)
  let hi = d3.max(scaled)
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
  const band = bandItem
    ? drawBand(svg, baseline, bandItem, {
        x,
        y,
        color: bandColor,
        stepMs: baseline.stepMs ?? stepMs,
        unit: panel.unit,
      })
    : undefined
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

  // Rollouts and incidents as marks across the chart, named on hover.
  for (const note of annotations) {
    if (note.ts_ms < range.from || note.ts_ms > range.to) continue
    const mark = svg.append('g').attr('class', `annotation annotation-${note.kind}`)
    mark.attr('data-kind', note.kind)
    mark
      .append('line')
      .attr('x1', x(note.ts_ms))
      .attr('x2', x(note.ts_ms))
      .attr('y1', margin.top)
      .attr('y2', height - margin.bottom)
    mark.append('path').attr('d', `M${x(note.ts_ms) - 4},${margin.top - 6}h8l-4,6z`)
    mark.append('title').text(`${note.kind} · ${utcSeconds(new Date(note.ts_ms))} UTC · ${note.label}`)
  }

  const hoverTime = el('span', 'legend-time')
  legend.prepend(hoverTime)
  const showAt = (row, hovering = false) => {
    hoverTime.textContent = hovering && row ? `${utcSeconds(new Date(row.ts_ms))} UTC` : ''
    series.forEach((s, i) => {
      legendValues[i].textContent = formatValue(row?.[s.field], panel.unit)
    })
    band?.at(row?.ts_ms)
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
  // Drag across the chart to zoom every chart to that span.
  const brush = svg.append('rect').attr('class', 'zoom-selection').attr('y', margin.top)
  brush.attr('height', height - margin.top - margin.bottom).attr('visibility', 'hidden')
  let dragFrom
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
      showAt(row, true)
      if (dragFrom !== undefined)
        brush
          .attr('x', Math.min(dragFrom, px))
          .attr('width', Math.abs(px - dragFrom))
          .attr('visibility', 'visible')
    })
    .on('mousedown', (event) => {
      event.preventDefault()
      dragFrom = d3.pointer(event)[0]
    })
    .on('mouseup', (event) => {
      const [px] = d3.pointer(event)
      const start = dragFrom
      dragFrom = undefined
      brush.attr('visibility', 'hidden')
      // A click is not a drag: at least 6 px, and a minute or more of time.
      if (start === undefined || Math.abs(px - start) < 6) return
      const [a, b] = [x.invert(Math.min(start, px)).getTime(), x.invert(Math.max(start, px)).getTime()]
      if (b - a >= 60_000) zoomTo(a, b)
    })
    .on('mouseleave', () => {
      focus.attr('visibility', 'hidden')
      dragFrom = undefined
      brush.attr('visibility', 'hidden')
      showAt(lastRow)
    })
  return true
}
