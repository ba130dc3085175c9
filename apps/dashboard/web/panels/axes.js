import { d3 } from '../d3.js'

export function axes(svg, x, y, width, height, margin, yFormat, range, integers = false) {
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
export function withGaps(rows, field, stepMs) {
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
