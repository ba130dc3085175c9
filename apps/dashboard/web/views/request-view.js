import { api, qs } from '../api.js'
import { el } from '../dom.js'
import { entityLink } from '../links.js'
import { state } from '../state.js'
import { openDetail, section, table } from './detail-frame.js'

// Hops of one request are milliseconds apart: the time to the millisecond, the date on hover.
function exactTime(ms) {
  const iso = new Date(ms).toISOString()
  const node = el('time', 'when', iso.slice(11, 23))
  node.dateTime = iso
  node.title = iso
  return node
}

function stat(label, value) {
  const node = el('div', 'stat')
  node.append(el('span', 'stat-label', label), el('span', 'stat-value', value))
  return node
}

/** Open the hunt page on `query` (kept in the URL, so the hunt is shareable like any other). */
export function openHunt(query) {
  const params = new URLSearchParams(location.search)
  params.set('q', query)
  params.delete('hf')
  history.pushState(history.state, '', `${location.pathname}?${params}#/hunt`)
  state.rerender()
}

/** One request's decision timeline: every decision naming its id, across sources and enforcement points. */
export async function showRequest(id, range) {
  const heading = el('h1', 'detail-title')
  heading.append(el('span', 'entity-kind', 'request'), el('span', 'entity-value', id))
  const { detail, body } = openDetail('request', heading)
  document.title = `request ${id} · Palisade`
  const answer = await api(
    `api/v1/requests/${encodeURIComponent(id)}?${qs({ from: Math.round(range.from), to: Math.round(range.to), limit: 500 })}`,
  )
  const records = answer.records
  const last = records.at(-1)
  const stats = el('div', 'stats')
  stats.append(
    stat('records', String(records.length)),
    stat('sources', [...new Set(records.map((r) => r.source))].join(', ')),
    stat('enforcement points', [...new Set(records.map((r) => r.enforcement_point))].join(', ')),
    stat('span', `${Math.max(0, last.ts_ms - records[0].ts_ms)} ms`),
    stat('final decision', last.decision),
  )
  const timeline = table(
    records,
    [
      ['ts_ms', 'time (UTC)', exactTime],
      [
        'source',
        'source',
        (source, row) => el('span', '', row.pdp && row.pdp !== source ? `${source} (${row.pdp})` : source),
      ],
      ['enforcement_point', 'enforced at'],
      [
        'decision',
        'decision',
        (decision, row) =>
          el(
            'span',
            `outcome${decision === 'allow' ? '' : ' bad'}`,
            row.dry_run ? `${decision} (dry run)` : decision,
          ),
      ],
      ['subject', 'caller', (subject, row) => entityLink('caller', subject || row.src_identity)],
      [
        'dst_identity',
        'destination',
        (dst, row) => entityLink('dst_identity', dst || row.service, dst || row.service),
      ],
      ['resource', 'request', (resource, row) => el('span', '', `${row.action} ${resource}`.trim() || '—')],
      [
        'policy_id',
        'decision path @ revision',
        (path, row) => {
          const cell = el('span', '', path || '—')
          if (row.policy_revision)
            cell.append(' @ ', entityLink('policy_revision', row.policy_revision, row.policy_revision))
          return cell
        },
      ],
      ['latency_ms', 'eval', (ms) => el('span', '', ms === null ? '—' : `${ms} ms`)],
    ],
    'no records',
  )
  timeline.classList.add('request-timeline')
  const hunt = el('button', 'button-link', 'Hunt this request')
  hunt.type = 'button'
  hunt.addEventListener('click', () =>
    openHunt(`SELECT ts, source, enforcement_point, decision, subject, resource, policy_id, policy_revision, latency_ms
FROM decision
WHERE request_id = '${id.replaceAll("'", "''")}'
ORDER BY ts`),
  )
  body.replaceChildren(
    stats,
    section(
      'timeline',
      'Decision timeline',
      timeline,
      el(
        'p',
        'muted',
        'Joined by request id (x-request-id; OPA’s trace id when its input has none). Access-log flows and traces are not stored with the request id yet, so only decisions line up here.',
      ),
      hunt,
    ),
  )
  detail.dataset.state = 'ready'
}
