import { badge, el, empty } from '../dom.js'
import { time } from '../format.js'
import { incidentHref } from '../links.js'

export function drawIncidents(entry, incidents, range) {
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
    title.append(badge(incident.last_severity), incidentLink(incident))
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

function incidentLink(incident) {
  const link = el('a', 'incident-name', incident.last_title || incident.alert || incident.dedup_key)
  link.href = incidentHref(incident.dedup_key)
  link.title = 'open the timeline'
  return link
}
