import { api, qs, Unauthenticated } from '../api.js'
import { urlParam } from '../url-state.js'
import { drawFindings } from './findings.js'
import { drawIncidents } from './incidents.js'
import { drawServiceGraph } from './service-graph.js'
import { drawSloList, loadSloList } from './slo-budget.js'
import { drawSloStatus } from './slo-status.js'
import { drawTable } from './table.js'
import { drawTimeseries } from './timeseries.js'

export const panelRows = (query, range, extra = {}) =>
  api(
    `api/v1/panels/${encodeURIComponent(query)}?${qs({ from: Math.round(range.from), to: Math.round(range.to), ...extra })}`,
  ).then((answer) => answer.rows)

export const loaders = {
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
      // A declared severity is the panel's own; otherwise the page's filter (kept in the URL).
      severity: panel.severity ?? urlParam('severity'),
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

export const drawers = {
  'slo-status': drawSloStatus,
  'slo-list': drawSloList,
  'findings-table': drawFindings,
  timeseries: drawTimeseries,
  incidents: drawIncidents,
  table: drawTable,
  'service-graph': drawServiceGraph,
}
