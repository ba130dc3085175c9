import { el } from '../dom.js'
import { count, time } from '../format.js'
import { entityLink } from '../links.js'
import { MTLS_LABELS } from '../theme.js'
import { setUrlParams } from '../url-state.js'
import { namespaceTitle } from './service-graph-layout.js'

// A click on a link of the service graph: what is known of it, and hunts over the flows, requests
// and handshakes between its two ends (the hunt page runs them, tenant-scoped and bounded, over the
// range the dashboard shows).

/** A ClickHouse string literal. */
const literal = (value) => `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

/** A workload as the graph names it: its identity, else its address (the rollup's rule). */
const name = (side) => `if(${side}_identity != '', ${side}_identity, ${side}_ip)`

/** Hunts over the events between `src` and `dst`, each a read the hunt page accepts. */
export function edgeHunts(src, dst) {
  const a = literal(src)
  const b = literal(dst)
  return {
    // Both directions: a reply is recorded from the server to the client.
    flows: `SELECT ts, ${name('src')} AS src, ${name('dst')} AS dst, dst_port, server_port, is_reply,
       verdict, mtls, encrypted, bytes_sent, bytes_received, source
FROM flow
WHERE (${name('src')} = ${a} AND ${name('dst')} = ${b})
   OR (${name('src')} = ${b} AND ${name('dst')} = ${a})
ORDER BY ts DESC
LIMIT 200`,
    decisions: `SELECT ts, request_id, decision, dry_run, subject, action, resource, policy_id,
       policy_revision, enforcement_point, latency_ms
FROM decision
WHERE src_identity = ${a} AND dst_identity = ${b}
ORDER BY ts DESC
LIMIT 200`,
    handshakes: `SELECT ts, dst_port, mode, outcome, reason, tls_version, count
FROM mtls
WHERE src_identity = ${a} AND dst_identity = ${b}
ORDER BY ts DESC
LIMIT 200`,
  }
}

function huntLink(text, query, kind) {
  const params = new URLSearchParams(location.search)
  params.set('q', query)
  params.delete('hf')
  const link = el('a', 'button-link edge-hunt', text)
  link.href = `?${params}#/hunt`
  link.dataset.hunt = kind
  // Same page: set the query in the URL and switch views, without a reload.
  link.addEventListener('click', (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return
    event.preventDefault()
    setUrlParams({ q: query, hf: undefined })
    location.hash = '#/hunt'
  })
  return link
}

/** Rate per second as people read it: per minute below one a second, per hour below one a minute. */
export function rateText(perSecond) {
  if (!perSecond) return '—'
  const [value, unit] =
    perSecond >= 1
      ? [perSecond, 's']
      : perSecond * 60 >= 1
        ? [perSecond * 60, 'min']
        : [perSecond * 3600, 'h']
  return `${value < 10 ? value.toFixed(1) : Math.round(value)}/${unit}`
}

function mtlsEvidence(link) {
  const parts = [
    [link.mutual, 'mutual'],
    [link.tls, 'server-only TLS'],
    [link.plaintext, 'plaintext'],
  ].filter(([n]) => n > 0)
  return parts.length === 0
    ? 'no source said how it ran'
    : `${parts.map(([n, what]) => `${count(n)} ${what}`).join(' · ')} (flows and handshakes)`
}

/** Open the card of `link` at `at` ({x, y} in `body`'s pixels), replacing any open one. */
export function openEdgeCard(body, link, at) {
  body.querySelector('.edge-card')?.remove()
  const card = el('div', 'edge-card')
  card.setAttribute('role', 'dialog')
  card.setAttribute('aria-label', `link ${link.source.id} → ${link.target.id}`)
  card.dataset.src = link.source.id
  card.dataset.dst = link.target.id
  const close = el('button', 'edge-card-close', '×')
  close.type = 'button'
  close.setAttribute('aria-label', 'close')
  close.addEventListener('click', () => card.remove())
  card.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') card.remove()
  })
  const title = el('div', 'edge-card-title')
  title.append(
    entityLink('src_identity', link.source.id),
    el('span', 'muted', ' → '),
    entityLink('dst_identity', link.target.id),
  )
  const facts = el('dl', 'edge-card-facts')
  const fact = (term, value, className) => {
    facts.append(el('dt', '', term), el('dd', className ?? '', value))
  }
  fact('namespaces', `${namespaceTitle(link.source.namespace)} → ${namespaceTitle(link.target.namespace)}`)
  if (link.ports.length) fact('ports', link.ports.join(', '))
  fact('mTLS', MTLS_LABELS[link.mtls] ?? link.mtls, `mtls-text mtls-${link.mtls}`)
  fact('seen as', mtlsEvidence(link))
  if (link.handshakeFailures) fact('failed handshakes', count(link.handshakeFailures), 'bad-text')
  fact('rate', rateText(link.rate))
  fact('flows', `${count(link.flows)}${link.blocked ? ` · ${count(link.blocked)} blocked` : ''}`)
  fact('requests', `${count(link.requests)}${link.denies ? ` · ${count(link.denies)} denied` : ''}`)
  if (link.lastSeen) fact('last flow', `${time(link.lastSeen)} UTC`)
  if (link.fresh) fact('new edge', 'reported by lateral.new_edge', 'fresh-text')
  const hunts = edgeHunts(link.source.id, link.target.id)
  const actions = el('div', 'edge-card-actions')
  actions.append(
    el('span', 'muted', 'hunt:'),
    huntLink('flows', hunts.flows, 'flows'),
    huntLink('decisions', hunts.decisions, 'decisions'),
    huntLink('handshakes', hunts.handshakes, 'handshakes'),
  )
  card.append(close, title, facts, actions)
  body.append(card)
  // Beside the click, inside the panel.
  const width = card.offsetWidth
  const height = card.offsetHeight
  const left = Math.max(4, Math.min(at.x + 14, body.clientWidth - width - 4))
  const top = Math.max(4, Math.min(at.y - height / 2, body.clientHeight - height - 4))
  card.style.left = `${left}px`
  card.style.top = `${top}px`
  close.focus()
  return card
}
