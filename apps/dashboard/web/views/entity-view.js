import { api, qs } from '../api.js'
import { badge, el } from '../dom.js'
import { count } from '../format.js'
import { entityLink, findingHref } from '../links.js'
import { state } from '../state.js'
import { setUrlParams, urlParam } from '../url-state.js'
import { openDetail, section, table, timeCell, timelineList } from './detail-frame.js'

const KIND_LABELS = {
  spiffe: 'SPIFFE ID',
  ip: 'IP address',
  user: 'user',
  workload: 'workload',
  revision: 'policy revision',
}

function stat(label, value) {
  const node = el('div', 'stat')
  node.append(
    el('span', 'stat-label', label),
    value instanceof Node ? value : el('span', 'stat-value', value),
  )
  return node
}

/** An entity over the range: first/last seen, risk, flow peers, and its timeline across kinds. */
export async function showEntity(kind, value, range) {
  const heading = el('h1', 'detail-title')
  heading.append(el('span', 'entity-kind', KIND_LABELS[kind] ?? kind), el('span', 'entity-value', value))
  const { detail, body } = openDetail('entity', heading)
  document.title = `${value} · Palisade`
  const page = await api(
    `api/v1/entities/${encodeURIComponent(kind)}/${encodeURIComponent(value)}?${qs({
      from: Math.round(range.from),
      to: Math.round(range.to),
      limit: 200,
      only: urlParam('only'),
    })}`,
  )
  const stats = el('div', 'stats')
  const risk = stat('risk score', String(page.risk.score))
  risk.dataset.stat = 'risk'
  stats.append(
    stat('first seen in range', timeCell(page.firstSeenMs)),
    stat('last seen in range', timeCell(page.lastSeenMs)),
    risk,
    ...Object.entries(page.counts).map(([name, n]) => kindFilter(name, n, page.only)),
  )
  const contributions = table(
    page.risk.contributions,
    [
      ['points', 'points'],
      ['severity', 'severity', (severity) => badge(severity)],
      [
        'title',
        'finding',
        (title, row) => {
          const link = el('a', '', title)
          link.href = findingHref(row.finding_id)
          return link
        },
      ],
      ['rule', 'rule'],
    ],
    'no findings name this entity in the range: score 0',
  )
  const peers = table(
    page.peers,
    [
      ['peer', 'peer', (peer) => entityLink('identity', peer, peer)],
      ['direction', 'direction'],
      ['dst_port', 'port'],
      ['flows', 'flows'],
      ['blocked', 'blocked'],
      ['last_seen_ms', 'last seen', (ms) => timeCell(ms)],
    ],
    kind === 'spiffe' || kind === 'ip' || kind === 'workload'
      ? 'no flows to or from it in the range'
      : 'peers are drawn for identities, IPs and workloads',
  )
  const shown = page.timeline.length
  const total = Object.values(page.counts).reduce((sum, n) => sum + n, 0)
  body.replaceChildren(
    el('p', 'detail-meta', `${timeRangeText(range)} · ${count(total)} records, newest ${shown} shown`),
    stats,
    section('risk', 'Risk contributions', contributions),
    section('peers', 'Peers on the service graph', peers),
    section('timeline', 'Timeline', timelineList(page.timeline, 'nothing recorded for it in the range')),
  )
  detail.dataset.state = 'ready'
}

/** A count per kind that, clicked, shows only that kind in the timeline (again: all kinds); kept in the URL. */
function kindFilter(name, n, only) {
  const node = stat(name.replace('_', ' '), count(n))
  const button = el('button', only === name ? 'stat stat-filter active' : 'stat stat-filter')
  button.type = 'button'
  button.dataset.kind = name
  button.title = only === name ? 'show every kind' : `show only ${name.replace('_', ' ')} records`
  button.append(...node.childNodes)
  button.addEventListener('click', () => {
    setUrlParams({ only: only === name ? undefined : name })
    state.rerender()
  })
  return button
}

function timeRangeText(range) {
  const iso = (ms) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ')
  return `${iso(range.from)} – ${iso(range.to)} UTC`
}
