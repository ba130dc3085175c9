import { d3 } from '../d3.js'
import { el } from '../dom.js'
import { count, shortName } from '../format.js'
import { entityHref, entityKindOf } from '../links.js'
import { MTLS_COLORS, MTLS_LABELS, NAMESPACE_TINTS } from '../theme.js'
import { openEdgeCard, rateText } from './service-graph-edge-card.js'
import { graphFilterBar, graphFiltered } from './service-graph-filters.js'
import { layoutByNamespace, namespaceOf, namespaceTitle } from './service-graph-layout.js'

// The service graph: workloads grouped in one column per namespace, a link per caller → callee
// coloured by how it ran (mTLS), as wide as its rate, marked when denied or new. A node opens its
// entity page; a link opens its card (and from there hunts over what crossed it).

/** Links `src → dst` (ports merged) from the API's rows, and new edges from the findings. */
export function linksOf(rows, fresh, { addMissingFresh }) {
  const key = (src, dst) => `${src}\u0000${dst}`
  const freshPorts = new Map()
  for (const row of fresh) {
    const ports = freshPorts.get(key(row.src, row.dst)) ?? new Set()
    ports.add(row.dst_port ?? 'any')
    freshPorts.set(key(row.src, row.dst), ports)
  }
  const links = new Map()
  const linkOf = (src, dst, row) => {
    const k = key(src, dst)
    let link = links.get(k)
    if (!link) {
      link = {
        source: src,
        target: dst,
        sourceNamespace: row?.src_namespace ?? namespaceOf(src),
        targetNamespace: row?.dst_namespace ?? namespaceOf(dst),
        ports: [],
        flows: 0,
        blocked: 0,
        requests: 0,
        denies: 0,
        mutual: 0,
        tls: 0,
        plaintext: 0,
        handshakeFailures: 0,
        mtls: row?.mtls ?? 'unknown',
        rate: row?.rate_per_s ?? 0,
        lastSeen: undefined,
        fresh: false,
      }
      links.set(k, link)
    }
    return link
  }
  for (const row of rows) {
    const link = linkOf(row.src, row.dst, row)
    // Port 0 is the requests' row: a decision names no port.
    if (row.dst_port) link.ports.push(row.dst_port)
    link.flows += row.flows ?? 0
    link.blocked += row.blocked ?? 0
    link.requests += row.requests ?? 0
    link.denies += row.request_denies ?? 0
    link.mutual += row.mtls_mutual ?? 0
    link.tls += row.mtls_tls ?? 0
    link.plaintext += row.mtls_plaintext ?? 0
    link.handshakeFailures += row.handshake_failures ?? 0
    if (row.last_seen_ms) link.lastSeen = Math.max(link.lastSeen ?? 0, row.last_seen_ms)
    const ports = freshPorts.get(key(row.src, row.dst))
    if (ports && (ports.has('any') || ports.has(row.dst_port))) link.fresh = true
  }
  // A new edge whose flows fell outside the window is still drawn, unless filters narrow the graph
  // (the finding says nothing of the link's mTLS or rate, so it cannot be said to match them).
  if (addMissingFresh) {
    for (const row of fresh) {
      if (!row.src || !row.dst || links.has(key(row.src, row.dst))) continue
      const link = linkOf(row.src, row.dst)
      if (row.dst_port) link.ports.push(row.dst_port)
      link.fresh = true
    }
  }
  return [...links.values()]
}

function legendOf(legend) {
  legend.replaceChildren()
  const item = (swatch, label) => {
    const node = el('span', 'legend-item')
    node.append(swatch, el('span', '', label))
    return node
  }
  for (const [state, label] of Object.entries(MTLS_LABELS)) {
    const swatch = el('span', `edge-swatch mtls-${state}`)
    legend.append(item(swatch, label))
  }
  legend.append(
    item(el('span', 'denied-swatch', '⊘'), 'denied'),
    item(el('span', 'edge-swatch fresh'), 'new edge'),
    item(el('span', 'width-swatch'), 'width: rate'),
  )
}

/** A link's curve: bowed so that A → B and B → A, and links inside a column, keep apart. */
function curve(link, radius) {
  const { source: s, target: t } = link
  const dx = t.x - s.x
  const dy = t.y - s.y
  const length = Math.hypot(dx, dy) || 1
  // Along a band a straight link would cross the nodes between; a call back up the chain would
  // lie on the call down: both bow further.
  // Along a band (or down a column) the bow goes to one side: the band's other nodes lie ahead.
  const bow =
    Math.abs(dy) < 4 || Math.abs(dx) < 4
      ? -Math.min(60, 0.2 * length)
      : dx < 0
        ? 0.25 * length
        : 0.08 * length
  // Perpendicular to the chord, always to the same side of the direction of travel.
  const cx = (s.x + t.x) / 2 + (-dy / length) * bow
  const cy = (s.y + t.y) / 2 + (dx / length) * bow
  const trim = (from, to, r) => {
    const ux = to.x - from.x
    const uy = to.y - from.y
    const d = Math.hypot(ux, uy) || 1
    return { x: from.x + (ux / d) * r, y: from.y + (uy / d) * r }
  }
  const start = trim(s, { x: cx, y: cy }, radius(s) + 2)
  const end = trim(t, { x: cx, y: cy }, radius(t) + 5)
  return {
    d: `M${start.x},${start.y}Q${cx},${cy} ${end.x},${end.y}`,
    /** The point at `t` (0 start, 1 end) along the curve. */
    at: (t) => ({
      x: (1 - t) ** 2 * start.x + 2 * (1 - t) * t * cx + t ** 2 * end.x,
      y: (1 - t) ** 2 * start.y + 2 * (1 - t) * t * cy + t ** 2 * end.y,
    }),
  }
}

/**
 * Where each label goes: the middle of its link, else a little along it, the first spot clear of
 * the nodes (and their names below them) and of the labels already placed.
 */
function placeLabels(labelled, shapes, nodes) {
  const placed = []
  const clear = (p) =>
    nodes.every((n) => Math.abs(p.x - n.x) > 40 || p.y < n.y - 16 || p.y > n.y + 26) &&
    placed.every((q) => Math.abs(p.x - q.x) > 44 || Math.abs(p.y - q.y) > 12)
  const spots = new Map()
  for (const link of labelled) {
    const shape = shapes.get(link)
    const candidates = [0.5, 0.4, 0.6, 0.32, 0.68, 0.25, 0.75].map((t) => {
      const p = shape.at(t)
      return { x: p.x, y: p.y - 4 }
    })
    const spot = candidates.find(clear) ?? candidates[0]
    placed.push(spot)
    spots.set(link, spot)
  }
  return spots
}

function linkTitle(link) {
  const lines = [
    `${link.source.id} → ${link.target.id}`,
    `${MTLS_LABELS[link.mtls]} · ${rateText(link.rate)}`,
    `ports ${link.ports.join(', ') || '—'} · ${count(link.flows)} flows · ${count(link.requests)} requests`,
  ]
  if (link.blocked || link.denies) lines.push(`${count(link.blocked)} blocked · ${count(link.denies)} denied`)
  if (link.handshakeFailures) lines.push(`${count(link.handshakeFailures)} failed handshakes`)
  if (link.fresh) lines.push('new edge (lateral.new_edge)')
  lines.push('click for details and hunts')
  return lines.join('\n')
}

/** Width of a node name in px, about (11.5 px sans-serif). */
const textWidth = (text) => text.length * 6.9 + 4

/** The nodes whose names fit under them without covering another name or node, busiest first. */
function nameNodes(nodes, radius, labelOf) {
  const boxes = []
  const named = new Set()
  const overlaps = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
  const circles = nodes.map((n) => ({
    node: n,
    x0: n.x - radius(n),
    x1: n.x + radius(n),
    y0: n.y - radius(n),
    y1: n.y + radius(n),
  }))
  for (const n of [...nodes].sort((a, b) => b.degree - a.degree || a.id.localeCompare(b.id))) {
    const half = textWidth(labelOf(n)) / 2
    const box = { x0: n.x - half, x1: n.x + half, y0: n.y + radius(n) + 1, y1: n.y + radius(n) + 16 }
    if (boxes.some((b) => overlaps(b, box)) || circles.some((c) => c.node !== n && overlaps(c, box))) continue
    boxes.push(box)
    named.add(n)
  }
  return named
}

export function drawServiceGraph(entry, { edges, fresh }) {
  const { body, legend } = entry
  legendOf(legend)
  const filtered = graphFiltered()
  const linkList = linksOf(edges, fresh, { addMissingFresh: !filtered })
  const namespaces = new Set(linkList.flatMap((l) => [l.sourceNamespace, l.targetNamespace]))
  const bar = graphFilterBar(namespaces)
  if (linkList.length === 0) {
    body.replaceChildren(
      bar,
      el(
        'div',
        'empty',
        filtered ? 'no link matches these filters in this window' : 'no data in this window',
      ),
    )
    return false
  }
  body.replaceChildren(bar)
  const byId = new Map()
  const nodeOf = (id, namespace) => {
    if (!byId.has(id)) byId.set(id, { id, namespace, degree: 0 })
    const node = byId.get(id)
    node.degree += 1
    return node
  }
  for (const link of linkList) {
    link.source = nodeOf(link.source, link.sourceNamespace)
    link.target = nodeOf(link.target, link.targetNamespace)
  }
  const nodes = [...byId.values()]
  const radius = (node) => 5 + Math.min(7, Math.sqrt(node.degree) * 2)

  const width = Math.max(body.clientWidth, 320)
  const height = Math.max(body.clientHeight - bar.offsetHeight - 4, 200)
  const gutter = 96
  const bands = layoutByNamespace(nodes, linkList, { width, height, gutter })
  // A namespace keeps its colour whatever else a filter leaves on screen.
  const tint = (namespace) => {
    let hash = 0
    for (const char of namespace) hash = (hash * 31 + char.charCodeAt(0)) >>> 0
    return NAMESPACE_TINTS[hash % NAMESPACE_TINTS.length]
  }

  const svg = d3.select(body).append('svg').attr('class', 'graph').attr('width', width).attr('height', height)
  svg.attr('data-bands', bands[0]?.vertical ? 'columns' : 'rows')
  const defs = svg.append('defs')
  for (const [state, color] of Object.entries(MTLS_COLORS)) {
    defs
      .append('marker')
      .attr('id', `arrow-${state}`)
      .attr('viewBox', '0 -5 10 10')
      .attr('refX', 8)
      .attr('markerWidth', 7)
      .attr('markerHeight', 7)
      .attr('markerUnits', 'userSpaceOnUse')
      .attr('orient', 'auto')
      .append('path')
      .attr('d', 'M0,-4L10,0L0,4')
      .attr('fill', color)
  }

  // Namespaces: a band each (a row, or a column when they form a chain).
  const band = svg
    .append('g')
    .selectAll('g')
    .data(bands)
    .join('g')
    .attr('class', 'namespace')
    .attr('data-namespace', (b) => b.namespace)
  band
    .append('rect')
    .attr('x', (b) => b.x0)
    .attr('y', (b) => b.y0)
    .attr('width', (b) => b.x1 - b.x0)
    .attr('height', (b) => b.y1 - b.y0)
    .attr('rx', 8)
    .attr('fill', (b) => tint(b.namespace))
  // A row's title in the left gutter, a column's at its top.
  band
    .append('text')
    .attr('class', 'namespace-title')
    .attr('x', (b) => (b.vertical ? (b.x0 + b.x1) / 2 : b.x0 + 11))
    .attr('y', (b) => (b.vertical ? b.y0 + 16 : (b.y0 + b.y1) / 2 + 4))
    .attr('text-anchor', (b) => (b.vertical ? 'middle' : 'start'))
    .attr('fill', (b) => tint(b.namespace))
    .text((b) => {
      const title = namespaceTitle(b.namespace)
      return title.length > 13 ? `${title.slice(0, 12)}…` : title
    })
    .append('title')
    .text((b) => `namespace ${namespaceTitle(b.namespace)}`)

  const maxRate = d3.max(linkList, (l) => l.rate) || 1
  // Many links: thinner at the top, so that the busy middle of the graph stays legible.
  const strokeWidth = d3.scaleSqrt([0, maxRate], [1.2, linkList.length > 30 ? 3.5 : 6]).clamp(true)
  const shapes = new Map(linkList.map((l) => [l, curve(l, radius)]))
  const kinds = (l) =>
    ['edge', `mtls-${l.mtls}`, l.fresh ? 'fresh' : '', l.blocked + l.denies > 0 ? 'denied' : '']
      .filter(Boolean)
      .join(' ')
  const ordered = [...linkList].sort((a, b) => Number(a.fresh) - Number(b.fresh) || a.rate - b.rate)
  // New edges glow under their line.
  svg
    .append('g')
    .selectAll('path')
    .data(ordered.filter((l) => l.fresh))
    .join('path')
    .attr('class', 'edge-halo')
    .attr('d', (l) => shapes.get(l).d)
    .attr('stroke-width', (l) => strokeWidth(l.rate) + 5)
  svg
    .append('g')
    .selectAll('path')
    .data(ordered)
    .join('path')
    .attr('class', kinds)
    .attr('data-src', (l) => l.source.id)
    .attr('data-dst', (l) => l.target.id)
    .attr('data-mtls', (l) => l.mtls)
    .attr('d', (l) => shapes.get(l).d)
    .attr('stroke', (l) => MTLS_COLORS[l.mtls] ?? MTLS_COLORS.unknown)
    .attr('stroke-width', (l) => strokeWidth(l.rate))
    .attr('marker-end', (l) => `url(#arrow-${l.mtls in MTLS_COLORS ? l.mtls : 'unknown'})`)
  // A wide transparent twin takes hovers and clicks: thin lines are hard to hit.
  svg
    .append('g')
    .selectAll('path')
    .data(ordered)
    .join('path')
    .attr('class', 'edge-hit')
    .attr('data-src', (l) => l.source.id)
    .attr('data-dst', (l) => l.target.id)
    .attr('role', 'button')
    .attr('d', (l) => shapes.get(l).d)
    .attr('tabindex', 0)
    .attr('aria-label', (l) => `link ${shortName(l.source.id)} to ${shortName(l.target.id)}`)
    .on('click', (event, l) => {
      const [x, y] = d3.pointer(event, body)
      openEdgeCard(body, l, { x, y })
    })
    // From the keyboard: the card opens beside the link's middle.
    .on('keydown', (event, l) => {
      if (event.key !== 'Enter' && event.key !== ' ') return
      event.preventDefault()
      const mid = shapes.get(l).at(0.5)
      openEdgeCard(body, l, { x: mid.x, y: mid.y + bar.offsetHeight })
    })
    .append('title')
    .text(linkTitle)

  // Labels: the rate (and denies) of every link when few, else of the busiest, denied and new ones.
  const busiest = new Set([...linkList].sort((a, b) => b.rate - a.rate).slice(0, 10))
  const labelled = linkList.filter(
    (l) => linkList.length <= 16 || busiest.has(l) || l.fresh || l.blocked + l.denies > 0,
  )
  const spots = placeLabels(labelled, shapes, nodes)
  const label = svg
    .append('g')
    .selectAll('text')
    .data(labelled)
    .join('text')
    .attr('class', 'edge-label')
    .attr('x', (l) => spots.get(l).x)
    .attr('y', (l) => spots.get(l).y)
    .attr('text-anchor', 'middle')
  label
    .append('tspan')
    .text((l) => (l.rate ? rateText(l.rate) : l.fresh && l.ports.length ? `:${l.ports[0]}` : ''))
  label
    .filter((l) => l.blocked + l.denies > 0)
    .append('tspan')
    .attr('class', 'edge-label-denied')
    .text((l) => ` ⊘${count(l.blocked + l.denies)}`)

  const node = svg
    .append('g')
    .selectAll('g')
    .data(nodes)
    .join('g')
    .attr('class', (n) =>
      linkList.some((l) => l.fresh && (l.source === n || l.target === n)) ? 'node fresh' : 'node',
    )
    .attr('transform', (n) => `translate(${n.x},${n.y})`)
    .attr('role', 'link')
    .attr('data-entity', (n) => n.id)
    .attr('data-namespace', (n) => n.namespace)
    // A node opens its entity page (an identity, else an IP).
    .on('click', (_event, n) => {
      const kind = entityKindOf('identity', n.id)
      if (kind) location.hash = entityHref(kind, n.id)
    })
  node
    .append('circle')
    .attr('r', radius)
    .attr('stroke', (n) => tint(n.namespace))
  // Names under nodes, busiest first, each only where it covers no other name or node (the rest
  // are on hover); long names are cut.
  const labelOf = (n) => {
    const name = shortName(n.id)
    return name.length > 18 ? `${name.slice(0, 17)}…` : name
  }
  const named = nameNodes(nodes, radius, labelOf)
  node
    .filter((n) => named.has(n))
    .append('text')
    .attr('class', 'node-label')
    .attr('y', (n) => radius(n) + 12)
    .attr('text-anchor', 'middle')
    .text(labelOf)
  node
    .append('title')
    .text((n) => `${n.id}\nnamespace ${namespaceTitle(n.namespace)}\nclick to open its page`)

  // New edges are named in the filter bar's row, where they cover no node.
  const freshList = linkList.filter((l) => l.fresh)
  if (freshList.length > 0) {
    const note = el('div', 'graph-note')
    note.append(
      el('span', 'graph-note-title', `${freshList.length} new edge${freshList.length > 1 ? 's' : ''}`),
    )
    for (const l of freshList.slice(0, 3)) {
      note.append(
        el(
          'span',
          'graph-note-edge',
          `${shortName(l.source.id)} → ${shortName(l.target.id)}${l.ports.length ? `:${l.ports[0]}` : ''}`,
        ),
      )
    }
    bar.append(note)
  }
  return true
}
