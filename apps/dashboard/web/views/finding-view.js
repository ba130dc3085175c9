import { api } from '../api.js'
import { badge, el } from '../dom.js'
import { entityChips } from '../panels/entity-chips.js'
import { keyValues, openDetail, section, timeCell } from './detail-frame.js'

/** A finding and its evidence: the stored events it cites, the baseline, the intent it contradicts. */
export async function showFinding(id) {
  const heading = el('h1', 'detail-title', 'Finding')
  const { detail, body } = openDetail('finding', heading)
  const { finding, evidence } = await api(`api/v1/findings/${encodeURIComponent(id)}`)
  document.title = `${finding.title} · Palisade`
  heading.replaceChildren(badge(finding.severity), el('span', '', finding.title))
  const meta = el('p', 'detail-meta')
  meta.append(
    el('span', 'rule', finding.rule),
    ' · at ',
    timeCell(finding.ts),
    ' · detected ',
    timeCell(finding.detected_at),
  )
  const events = el('div', 'evidence-events')
  for (const event of evidence.events) {
    const card = el('article', 'evidence-event')
    card.dataset.eventId = event.event_id
    const title = el('div', 'evidence-event-title')
    title.append(
      el('span', 'timeline-kind', event.kind),
      timeCell(event.ts_ms),
      el('code', '', event.event_id),
    )
    card.append(title, keyValues(event.fields, 'no fields'))
    events.append(card)
  }
  if (evidence.eventIds.length === 0) events.append(el('p', 'muted', 'this finding cites no stored events'))
  if (evidence.missingEventIds.length > 0)
    events.append(
      el('p', 'muted', `not in the store (expired or never stored): ${evidence.missingEventIds.join(', ')}`),
    )
  body.replaceChildren(
    meta,
    el('p', 'summary', finding.summary),
    entityChips(finding.entities),
    section('events', `Evidence events (${evidence.events.length} of ${evidence.eventIds.length})`, events),
    section('baseline', 'Baseline', keyValues(evidence.baseline, 'the finding cites no baseline')),
    section(
      'intent',
      'Intent it contradicts',
      keyValues(evidence.intent, 'the finding cites no declared intent'),
    ),
    section('other', 'Other evidence', keyValues(evidence.other, 'nothing else')),
  )
  detail.dataset.state = 'ready'
}
