import { api, qs } from '../api.js'
import { badge, el } from '../dom.js'
import { openDetail, section, table, timeCell, timelineList } from './detail-frame.js'
import { incidentActions } from './incident-actions.js'

// Incidents stay open for days: the timeline looks back a week whatever the dashboard's range.
const INCIDENT_LOOKBACK_MS = 7 * 24 * 3600e3

/** An incident: every notification (trigger, ack, resolve, deliveries) and the findings of its rule. */
export async function showIncident(key, range) {
  const heading = el('h1', 'detail-title', key)
  const { detail, body } = openDetail('incident', heading)
  const from = Math.round(Math.min(range.from, range.to - INCIDENT_LOOKBACK_MS))
  const incident = await api(
    `api/v1/incidents/${encodeURIComponent(key)}?${qs({ from, to: Math.round(range.to) })}`,
  )
  const newest = incident.notifications[0]
  // The newest trigger's title ("Auth success burning 37× its budget (identity)"), not the alertname.
  const opening = incident.notifications.find((row) => row.action === 'trigger' && row.title) ?? newest
  const title = opening.title || newest.alertname
  document.title = `${title} · Palisade`
  heading.replaceChildren(badge(newest.severity), el('span', '', title), el('code', 'muted', key))
  body.replaceChildren(
    el('p', 'summary', opening.summary),
    incidentActions(key, incident, () => showIncident(key, range)),
    section(
      'notifications',
      'Notifications',
      table(
        incident.notifications,
        [
          ['ts_ms', 'time', (ms) => timeCell(ms)],
          ['action', 'action'],
          ['reason', 'why'],
          ['receiver', 'receiver'],
          ['status', 'status'],
          ['attempts', 'attempts'],
          ['detail', 'detail'],
        ],
        'no notifications',
      ),
    ),
    section(
      'findings',
      'Findings of this rule',
      timelineList(incident.findings, 'no findings of this rule in the range'),
    ),
  )
  detail.dataset.state = 'ready'
}
