import { api, qs } from '../api.js'
import { badge, el } from '../dom.js'
import { openDetail, section, table, timeCell, timelineList } from './detail-frame.js'

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
  document.title = `${newest.alertname} · Palisade`
  heading.replaceChildren(badge(newest.severity), el('span', '', newest.alertname), el('code', 'muted', key))
  body.replaceChildren(
    el('p', 'summary', newest.summary),
    section(
      'notifications',
      'Notifications',
      table(
        incident.notifications,
        [
          ['ts_ms', 'time', (ms) => timeCell(ms)],
          ['action', 'action'],
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
