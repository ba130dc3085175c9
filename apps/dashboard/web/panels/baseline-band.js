import { api, qs, Unauthenticated } from '../api.js'
import { d3 } from '../d3.js'
import { el } from '../dom.js'
import { formatValue } from '../format.js'

// The usual range behind a series the detectors baseline: p10–p90 of the same bucket on each of
// the days before (GET /api/v1/panels/:query/baseline), drawn under the line.

/** Longest range with a band (the API's bound): a longer one is compared with nothing. */
const MAX_SPAN_MS = 2 * 24 * 3600e3

/** The band of `panel` over `range`, `{ skipped }` when the range is too long, undefined without one. */
export async function baselineFor(panel, range) {
  if (!panel.baseline) return undefined
  if (range.to - range.from > MAX_SPAN_MS) return { skipped: 'no band beyond 2 days' }
  try {
    return await api(
      `api/v1/panels/${encodeURIComponent(panel.query)}/baseline?${qs({
        from: Math.round(range.from),
        to: Math.round(range.to),
        field: panel.baseline.field,
        days: panel.baseline.days,
      })}`,
    )
  } catch (error) {
    if (error instanceof Unauthenticated) throw error
    // A band that cannot load leaves the series alone rather than failing the panel.
    return { skipped: `no band: ${error.message}` }
  }
}

/** The values a band spans, so that the chart's scale holds it. */
export const bandValues = (band) => (band?.points ?? []).flatMap((p) => [p.low, p.high])

/**
 * The band's legend item, made before the chart is sized (a legend that wraps takes height from
 * it): what the band is on hover, its range at the time shown. Undefined without a band.
 */
export function bandLegend(band, { color, stepMs, note, unit }) {
  if (!band) return undefined
  const item = el('span', 'legend-item legend-band')
  const swatch = el('span', 'band-swatch')
  swatch.style.background = color
  const value = el('span', 'legend-value')
  if (band.skipped) item.append(swatch, el('span', 'muted', band.skipped))
  else if (band.points.length === 0)
    item.append(swatch, el('span', 'muted', `no baseline: nothing in the ${band.days} days before`))
  else {
    item.title = `usual range: p10 to p90 of the same ${Math.round(stepMs / 60e3)}-minute bucket on each of the ${band.days} days before${note ? ` (${note})` : ''}`
    item.append(swatch, el('span', '', `usual (p10–p90, ${band.days} d)`), value)
    const last = band.points[band.points.length - 1]
    value.textContent = `${formatValue(last.low, unit)} – ${formatValue(last.high, unit)}`
  }
  return { item, value }
}

/** Draw `band` under the series in `svg` (scales `x`, `y`); answers `at(ts)`, which shows its range then. */
export function drawBand(svg, band, legend, { x, y, color, stepMs, unit }) {
  if (!band?.points?.length) return { at: () => undefined }
  // Gaps where no earlier day had enough values: the band breaks instead of bridging them.
  const points = []
  for (const [index, point] of band.points.entries()) {
    const previous = band.points[index - 1]
    if (previous && point.ts_ms - previous.ts_ms > stepMs * 1.5) points.push(null)
    points.push(point)
  }
  const area = d3
    .area()
    .defined((p) => p !== null)
    .x((p) => x(p.ts_ms))
    .y0((p) => y(p.low))
    .y1((p) => y(p.high))
  svg
    .append('path')
    .attr('class', 'baseline-band')
    .attr('data-field', band.field)
    .attr('fill', color)
    .attr('d', area(points))
  const byTime = new Map(band.points.map((p) => [p.ts_ms, p]))
  return {
    at(ts) {
      const point = byTime.get(ts)
      legend.value.textContent = point
        ? `${formatValue(point.low, unit)} – ${formatValue(point.high, unit)}`
        : ''
    },
  }
}
