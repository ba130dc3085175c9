import { d3 } from '../d3.js'
import { el, empty } from '../dom.js'
import { count, shortName } from '../format.js'
import { entityHref, entityKindOf } from '../links.js'
import { COLORS } from '../theme.js'

export function drawServiceGraph(entry, { edges, fresh }) {
  const { body, legend } = entry
  legend.replaceChildren()
  const legendItem = (className, label) => {
    const item = el('span', 'legend-item')
    item.append(el('span', `edge-swatch ${className}`), el('span', '', label))
    return item
  }
  legend.append(legendItem('flow', 'flow'), legendItem('fresh', 'new edge'), legendItem('blocked', 'blocked'))
  if (edges.length === 0 && fresh.length === 0) {
    empty(body)
    return false
  }
  // One link per (src, dst); ports are listed on it. New-edge findings may name a port or not.
  const key = (src, dst) => `${src}\u0000${dst}`
  const freshPorts = new Map()
  for (const row of fresh) {
    const ports = freshPorts.get(key(row.src, row.dst)) ?? new Set()
    ports.add(row.dst_port ?? 'any')
    freshPorts.set(key(row.src, row.dst), ports)
  }
  const links = new Map()
  for (const row of edges) {
    const k = key(row.src, row.dst)
    const link = links.get(k) ?? {
      source: row.src,
      target: row.dst,
      ports: [],
      flows: 0,
      blocked: 0,
      fresh: false,
    }
    link.ports.push(row.dst_port)
    link.flows += row.flows
    link.blocked += row.blocked
    const ports = freshPorts.get(k)
    if (ports && (ports.has('any') || ports.has(row.dst_port))) link.fresh = true
    links.set(k, link)
  }
  // A new edge whose flows fell outside the window (or were not stored) is still drawn.
  for (const row of fresh) {
    const k = key(row.src, row.dst)
    if (!links.has(k) && row.src && row.dst) {
      links.set(k, {
        source: row.src,
        target: row.dst,
        ports: row.dst_port ? [row.dst_port] : [],
        flows: 0,
        blocked: 0,
        fresh: true,
      })
    }
  }
  const linkList = [...links.values()]
  const degree = new Map()
  for (const link of linkList) {
    degree.set(link.source, (degree.get(link.source) ?? 0) + 1)
    degree.set(link.target, (degree.get(link.target) ?? 0) + 1)
  }
  const freshNodes = new Set(linkList.filter((l) => l.fresh).flatMap((l) => [l.source, l.target]))
  const nodes = [...degree.keys()].sort().map((id) => ({ id, degree: degree.get(id) }))
  const radius = (node) => 6 + Math.sqrt(node.degree) * 2.5

  const width = Math.max(body.clientWidth, 300)
  const height = Math.max(body.clientHeight, 200)
  const simulation = d3
    .forceSimulation(nodes)
    .force(
      'link',
      d3
        .forceLink(linkList)
        .id((d) => d.id)
        .distance(Math.min(width, height) / 3.2)
        .strength(0.5),
    )
    .force('charge', d3.forceManyBody().strength(-520))
    .force(
      'collide',
      d3.forceCollide((d) => radius(d) + 26),
    )
    .force('x', d3.forceX(width / 2).strength(0.05))
    .force('y', d3.forceY(height / 2).strength(0.09))
    .stop()
  // Settle the layout before drawing: a static, reproducible picture rather than a jiggling one.
  for (let i = 0; i < 400; i++) simulation.tick()
  const pad = 40
  const [minX, maxX] = d3.extent(nodes, (n) => n.x)
  const [minY, maxY] = d3.extent(nodes, (n) => n.y)
  const sx = d3.scaleLinear([minX, maxX === minX ? minX + 1 : maxX], [pad + 30, width - pad - 30])
  // Leave the top-left corner to the new-edge note so it never covers a node.
  const top = linkList.some((l) => l.fresh) ? 78 : pad
  const sy = d3.scaleLinear([minY, maxY === minY ? minY + 1 : maxY], [top, height - pad - 10])
  for (const n of nodes) {
    n.x = nodes.length === 1 ? width / 2 : sx(n.x)
    n.y = nodes.length === 1 ? height / 2 : sy(n.y)
  }

  body.replaceChildren()
  const svg = d3.select(body).append('svg').attr('class', 'graph').attr('width', width).attr('height', height)
  const defs = svg.append('defs')
  for (const [name, color] of [
    ['flow', COLORS.edge],
    ['fresh', COLORS.fresh],
    ['blocked', COLORS.blocked],
  ]) {
    defs
      .append('marker')
      .attr('id', `arrow-${name}`)
      .attr('viewBox', '0 -5 10 10')
      .attr('refX', 9)
      .attr('markerWidth', 7)
      .attr('markerHeight', 7)
      .attr('orient', 'auto')
      .append('path')
      .attr('d', 'M0,-4L10,0L0,4')
      .attr('fill', color)
  }
  const kind = (link) => (link.fresh ? 'fresh' : link.blocked > 0 ? 'blocked' : 'flow')
  const width_ = d3.scaleLog([1, d3.max(linkList, (l) => Math.max(1, l.flows)) + 1], [1.2, 3.5])
  // Lines stop at the circles' edges so that arrowheads stay visible.
  const ends = (link) => {
    const dx = link.target.x - link.source.x
    const dy = link.target.y - link.source.y
    const length = Math.hypot(dx, dy) || 1
    const rs = radius(link.source) + 2
    const rt = radius(link.target) + 4
    return {
      x1: link.source.x + (dx / length) * rs,
      y1: link.source.y + (dy / length) * rs,
      x2: link.target.x - (dx / length) * rt,
      y2: link.target.y - (dy / length) * rt,
    }
  }
  const edge = svg
    .append('g')
    .selectAll('line')
    .data(linkList.sort((a, b) => Number(a.fresh) - Number(b.fresh)))
    .join('line')
    .attr('class', (l) => `edge ${kind(l)}`)
    .attr('data-src', (l) => l.source.id)
    .attr('data-dst', (l) => l.target.id)
    .attr('stroke-width', (l) => (l.fresh ? 3 : width_(Math.max(1, l.flows))))
    .attr('marker-end', (l) => `url(#arrow-${kind(l)})`)
    .each(function (l) {
      const e = ends(l)
      d3.select(this).attr('x1', e.x1).attr('y1', e.y1).attr('x2', e.x2).attr('y2', e.y2)
    })
  edge
    .append('title')
    .text(
      (l) =>
        `${l.source.id} → ${l.target.id}\nports ${l.ports.join(', ') || '—'} · ${count(l.flows)} flows · ${count(l.blocked)} blocked${l.fresh ? '\nnew edge (lateral.new_edge)' : ''}`,
    )
  // Port labels only where they matter: new and blocked edges.
  svg
    .append('g')
    .selectAll('text')
    .data(linkList.filter((l) => l.fresh || l.blocked > 0))
    .join('text')
    .attr('class', (l) => `edge-label ${kind(l)}`)
    .attr('x', (l) => (l.source.x + l.target.x) / 2)
    .attr('y', (l) => (l.source.y + l.target.y) / 2 - 5)
    .attr('text-anchor', 'middle')
    .text((l) => (l.ports.length ? `:${l.ports.join(', :')}` : 'new'))
  const node = svg
    .append('g')
    .selectAll('g')
    .data(nodes)
    .join('g')
    .attr('class', (n) => (freshNodes.has(n.id) ? 'node fresh' : 'node'))
    .attr('transform', (n) => `translate(${n.x},${n.y})`)
  // A node opens its entity page (an identity, else an IP).
  node
    .attr('role', 'link')
    .attr('data-entity', (n) => n.id)
    .on('click', (_event, n) => {
      const kind = entityKindOf('identity', n.id)
      if (kind) location.hash = entityHref(kind, n.id)
    })
  node.append('circle').attr('r', radius)
  node
    .append('text')
    .attr('class', 'node-label')
    .attr('y', (n) => radius(n) + 13)
    .attr('text-anchor', 'middle')
    .text((n) => shortName(n.id))
  node.append('title').text((n) => n.id)

  const freshList = linkList.filter((l) => l.fresh)
  if (freshList.length > 0) {
    const note = el('div', 'graph-note')
    note.append(
      el('span', 'graph-note-title', `${freshList.length} new edge${freshList.length > 1 ? 's' : ''}`),
    )
    for (const l of freshList.slice(0, 4)) {
      note.append(
        el(
          'span',
          'graph-note-edge',
          `${shortName(l.source.id)} → ${shortName(l.target.id)}${l.ports.length ? `:${l.ports[0]}` : ''}`,
        ),
      )
    }
    body.append(note)
  }
  return true
}
