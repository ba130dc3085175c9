import { api, qs, Unauthenticated } from '../api.js'
import { state } from '../state.js'
import { urlParam } from '../url-state.js'
import { baselineFor } from './baseline-band.js'
import { drawCompliance, loadCompliance } from './compliance.js'
import { drawFindings } from './findings.js'
import { drawIncidents } from './incidents.js'
import { drawNotice } from './notice.js'
import { drawServiceGraph } from './service-graph.js'
import { graphFilterParams } from './service-graph-filters.js'
import { drawSloList, loadSloList } from './slo-budget.js'
import { drawSloBurnServices, loadSloBurnServices } from './slo-burn-services.js'
import { drawSloStatus } from './slo-status.js'
import { drawTable } from './table.js'
import { drawTimeseries } from './timeseries.js'

export const panelRows = (query, range, extra = {}) =>
  api(
    `api/v1/panels/${encodeURIComponent(query)}?${qs({ from: Math.round(range.from), to: Math.round(range.to), ...extra })}`,
  ).then((answer) => answer.rows)

let annotationCache
function annotationsFor(range) {
  const key = `${Math.round(range.from)}-${Math.round(range.to)}`
  if (annotationCache?.key !== key)
    annotationCache = { key, rows: panelRows('annotations', range, { limit: 200 }).catch(() => []) }
  return annotationCache.rows
}

export const loaders = {
  async 'slo-status'(_panel, range) {
    const [{ slos }, { gates }] = await Promise.all([
      api('api/v1/slos'),
      // The rollout gate of each service: a card says when its service's rollouts are frozen.
      api('api/v1/gates').catch((error) => {
        if (error instanceof Unauthenticated) throw error
        return { gates: [] }
      }),
    ])
    const gateOf = new Map(gates.map((gate) => [gate.service, gate]))
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
    return slos.map((slo, index) => ({ slo, points: series[index] ?? [], gate: gateOf.get(slo.service) }))
  },
  'slo-list': () => loadSloList(api, (error) => error instanceof Unauthenticated),
  'slo-burn-services': () => loadSloBurnServices(),
  notice: async () => null,
  compliance: loadCompliance,
  async 'findings-table'(panel, range) {
    const query = qs({
      from: Math.round(range.from),
      to: Math.round(range.to),
      limit: panel.limit,
      // A declared severity is the panel's own; otherwise the page's filter (kept in the URL).
      severity: panel.severity ?? urlParam('severity'),
      rule: panel.rule,
      // The most severe first, so that the panel's limit keeps pages rather than the newest info.
      order: 'severity',
    })
    // A viewer's dashboards leave findings out rather than showing an error.
    if (!state.may.has('investigate')) throw new Error('findings need the analyst role or above')
    return (await api(`api/v1/findings?${query}`)).findings
  },
  // Every chart marks rollouts and incidents: one request per refresh, shared by the charts.
  timeseries: async (panel, range) => {
    const [rows, annotations, baseline] = await Promise.all([
      panelRows(panel.query, range),
      annotationsFor(range),
      baselineFor(panel, range),
    ])
    return { rows, annotations, baseline }
  },
  incidents: (panel, range) => panelRows(panel.query, range, { limit: 50 }),
  table: (panel, range) => panelRows(panel.query, range, { limit: 50 }),
  async 'service-graph'(panel, range) {
    const [edges, fresh] = await Promise.all([
      panelRows(panel.query, range, { limit: 300, ...graphFilterParams() }),
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
  'slo-burn-services': drawSloBurnServices,
  notice: drawNotice,
  compliance: drawCompliance,
}
