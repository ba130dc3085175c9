import { api } from '../api.js'
import { el } from '../dom.js'
import { section, table, timeCell } from './detail-frame.js'

// What on-call does from the incident page: acknowledge, resolve, snooze, silence. Each is a POST
// to /api/v1/incidents/<key>/<action>; the routers apply it within seconds (PagerDuty is told).

const DURATIONS = ['30m', '1h', '4h', '1d']

function durationSelect(name) {
  const select = el('select', 'action-duration')
  select.name = name
  for (const value of DURATIONS) {
    const option = el('option', '', value)
    option.value = value
    select.append(option)
  }
  select.value = '1h'
  return select
}

function button(kind, text) {
  const node = el('button', `action-button action-${kind}`, text)
  node.type = 'button'
  node.dataset.action = kind
  return node
}

/** The actions section of an open incident; `reload` shows the incident again once one is taken. */
export function incidentActions(key, incident, reload) {
  const newest = incident.notifications[0]
  const resolved = newest.action === 'resolve'
  const status = el('p', 'action-status muted', resolved ? 'resolved: a silence can still be set' : '')
  const comment = el('input', 'action-comment')
  comment.placeholder = 'comment (why)'
  comment.maxLength = 1024
  const snoozeFor = durationSelect('snooze')
  const silenceFor = durationSelect('silence')
  const matchers = el('textarea', 'action-matchers')
  matchers.rows = 2
  matchers.value = Object.entries(newest.labels ?? {})
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join('\n')

  async function take(kind, body, node) {
    node.disabled = true
    status.classList.remove('error')
    status.textContent = `${kind}…`
    try {
      await api(`api/v1/incidents/${encodeURIComponent(key)}/${kind}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      status.textContent = `${kind} recorded; receivers are told within seconds`
      // The routers apply it on their next round; the timeline shows the action at once.
      await reload()
    } catch (error) {
      status.classList.add('error')
      status.textContent = error.message
      node.disabled = false
    }
  }

  const withComment = () => (comment.value.trim() ? { comment: comment.value.trim() } : {})
  const ack = button('ack', 'Acknowledge')
  ack.addEventListener('click', () => take('ack', withComment(), ack))
  const resolve = button('resolve', 'Resolve')
  resolve.addEventListener('click', () => take('resolve', withComment(), resolve))
  const snooze = button('snooze', 'Snooze')
  snooze.addEventListener('click', () =>
    take('snooze', { ...withComment(), duration: snoozeFor.value }, snooze),
  )
  const silence = button('silence', 'Silence')
  silence.addEventListener('click', () =>
    take(
      'silence',
      {
        comment: comment.value.trim(),
        duration: silenceFor.value,
        matchers: matchers.value
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean),
      },
      silence,
    ),
  )
  for (const node of [ack, resolve, snooze]) node.disabled = resolved

  const row = el('div', 'action-row')
  row.append(ack, resolve, el('span', 'action-gap'), snooze, snoozeFor)
  const silenceRow = el('div', 'action-row')
  silenceRow.append(matchers, silence, silenceFor)
  return section(
    'actions',
    'Act',
    comment,
    row,
    silenceRow,
    status,
    table(
      incident.actions ?? [],
      [
        ['at', 'time', (ms) => timeCell(ms)],
        ['kind', 'action'],
        ['actor', 'by'],
        ['comment', 'comment'],
        ['until', 'until', (ms) => (ms > 0 ? timeCell(ms) : el('span', 'muted', '—'))],
      ],
      'nobody has acted on this incident yet',
    ),
  )
}
