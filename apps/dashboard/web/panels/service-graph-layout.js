// Where the service graph puts its nodes: one column per namespace, sources to the left of what
// they call, nodes within a column ordered to keep links short. A layered layout rather than a
// force one: the same data draws the same picture, and a namespace is a place the eye can find.

/** The column title of a namespace; '' is everything without one (addresses, external names). */
export const namespaceTitle = (namespace) => namespace || 'no namespace'

/**
 * The namespace of a workload name, as the API computes it: `ns` of `…/ns/<ns>/sa/<sa>` or of
 * `ns/name`; '' for an address or any other name. For edges the API did not send (new-edge findings).
 */
export function namespaceOf(name) {
  const spiffe = /\/ns\/([^/]+)\/sa\//.exec(name)
  if (spiffe) return spiffe[1]
  const plain = /^([a-z0-9][a-z0-9-]*)\/[^/]+$/.exec(name)
  return plain ? plain[1] : ''
}

/**
 * How far down the call chain each node is: the longest path to it from a node nothing calls,
 * along links (calls back up a chain, the cycle's closing link, are left out).
 */
function depths(nodes, links) {
  const out = new Map(nodes.map((node) => [node, []]))
  const calledBy = new Map(nodes.map((node) => [node, 0]))
  for (const link of links) {
    if (link.source === link.target) continue
    out.get(link.source).push(link.target)
    calledBy.set(link.target, calledBy.get(link.target) + 1)
  }
  // Depth-first from the roots (then from whatever a cycle leaves unvisited): finishing order
  // reversed is a topological order of the links that are not back links.
  const visiting = new Set()
  const done = new Set()
  const finished = []
  const forward = new Map(nodes.map((node) => [node, []]))
  const visit = (node) => {
    visiting.add(node)
    for (const next of out.get(node)) {
      if (visiting.has(next)) continue
      forward.get(node).push(next)
      if (!done.has(next)) visit(next)
    }
    visiting.delete(node)
    done.add(node)
    finished.push(node)
  }
  const byName = (a, b) => a.id.localeCompare(b.id)
  for (const node of [...nodes].sort(byName)) if (calledBy.get(node) === 0 && !done.has(node)) visit(node)
  for (const node of [...nodes].sort(byName)) if (!done.has(node)) visit(node)
  const depth = new Map(nodes.map((node) => [node, 0]))
  for (const node of finished.reverse())
    for (const next of forward.get(node)) depth.set(next, Math.max(depth.get(next), depth.get(node) + 1))
  return depth
}

/**
 * Lay `nodes` ({ id, namespace }) out in `width` × `height`: a band per namespace, top to bottom in
 * calling order (the namespace whose workloads call first on top, the namespace-less last), and
 * within it each node at the column of its depth in the call chain, so that most links run left
 * to right. `links` name nodes as `source`/`target` objects. Sets `x`, `y` on every node and
 * answers the bands ({ namespace, x0, x1, y0, y1, vertical }) to draw behind them; `gutter` px on
 * the left stay free for the bands' titles. When the namespaces form a chain (each calls the next,
 * as tiers do), a band is a column instead: the chain then reads left to right and every column
 * has the full height.
 */
export function layoutByNamespace(nodes, links, { width, height, gutter }) {
  const depth = depths(nodes, links)
  const maxDepth = Math.max(0, ...depth.values())
  const namespaces = [...new Set(nodes.map((node) => node.namespace))]
  const meanDepth = (namespace) => {
    const members = nodes.filter((node) => node.namespace === namespace)
    return members.reduce((sum, node) => sum + depth.get(node), 0) / members.length
  }
  namespaces.sort((a, b) => {
    if ((a === '') !== (b === '')) return a === '' ? 1 : -1
    return meanDepth(a) - meanDepth(b) || a.localeCompare(b)
  })
  if (isChain(nodes, namespaces, depth))
    return columnsByNamespace(nodes, namespaces, depth, { width, height })
  const groups = namespaces.map((namespace) => {
    const atDepth = new Map()
    for (const node of nodes
      .filter((n) => n.namespace === namespace)
      .sort((a, b) => a.id.localeCompare(b.id))) {
      const list = atDepth.get(depth.get(node)) ?? []
      list.push(node)
      atDepth.set(depth.get(node), list)
    }
    return { namespace, atDepth }
  })
  const gap = 6
  const left = gutter + 34
  const right = width - 70
  const columnWidth = maxDepth === 0 ? right - left : (right - left) / maxDepth
  // Nodes at one depth of one namespace stand in a grid `across` wide: one lane each while lanes
  // stay at least MIN_LANE high, side by side (as many as the column has room for) beyond.
  const lanesWith = (across) =>
    groups.reduce(
      (sum, group) =>
        sum + Math.max(...[...group.atDepth.values()].map((list) => Math.ceil(list.length / across))),
      0,
    )
  const MIN_LANE = 34
  const maxAcross = Math.max(1, Math.floor(columnWidth / 70))
  let across = 1
  while (across < maxAcross && (height - gap * (groups.length + 1)) / lanesWith(across) < MIN_LANE) across++
  const lanes = lanesWith(across)
  const laneHeight = (height - gap * (groups.length + 1)) / lanes
  const spacing = Math.min(90, columnWidth / across)
  let y = gap
  return groups.map((group) => {
    const bandLanes = Math.max(...[...group.atDepth.values()].map((list) => Math.ceil(list.length / across)))
    const y0 = y
    const y1 = y0 + bandLanes * laneHeight
    for (const [d, list] of group.atDepth) {
      const rows = Math.ceil(list.length / across)
      const wide = Math.min(across, list.length)
      // The grid stays right of the titles' gutter and inside the width.
      const half = ((wide - 1) / 2) * spacing
      const centre = Math.min(
        Math.max(maxDepth === 0 ? (left + right) / 2 : left + d * columnWidth, left + half),
        right + 40 - half,
      )
      for (const [index, node] of list.entries()) {
        const column = index % wide
        const row = Math.floor(index / wide)
        // A little apart in x within a column as well, so that links to stacked nodes do not run
        // through each other's labels.
        node.x = centre + (column - (wide - 1) / 2) * spacing + (wide === 1 && rows > 1 ? (row % 2) * 18 : 0)
        node.y = y0 + ((row + 0.5) * (y1 - y0)) / rows
      }
    }
    y = y1 + gap
    return { namespace: group.namespace, x0: 3, x1: width - 3, y0, y1, vertical: false }
  })
}

/**
 * Whether the namespaces form a chain: most nodes (70 %) are in namespaces whose depths overlap
 * no other namespace's, so that a column per namespace, in order, keeps links left to right.
 */
function isChain(nodes, namespaces, depth) {
  if (namespaces.length < 3) return false
  const span = new Map(namespaces.map((namespace) => [namespace, [Infinity, -Infinity]]))
  for (const node of nodes) {
    const range = span.get(node.namespace)
    range[0] = Math.min(range[0], depth.get(node))
    range[1] = Math.max(range[1], depth.get(node))
  }
  const apart = (namespace) => {
    const [lo, hi] = span.get(namespace)
    return namespaces.every((other) => {
      if (other === namespace) return true
      const [a, b] = span.get(other)
      return b < lo || a > hi
    })
  }
  const alone = nodes.filter((node) => apart(node.namespace)).length
  return alone >= 0.7 * nodes.length
}

/** A column per namespace (in calling order), its nodes down it by depth, in a grid when crowded. */
function columnsByNamespace(nodes, namespaces, depth, { width, height }) {
  const pad = 4
  const top = 30
  const columnWidth = (width - 2 * pad) / namespaces.length
  const available = height - top - 8
  return namespaces.map((namespace, index) => {
    const x0 = pad + index * columnWidth
    const members = nodes
      .filter((n) => n.namespace === namespace)
      .sort((a, b) => depth.get(a) - depth.get(b) || a.id.localeCompare(b.id))
    const maxAcross = Math.max(1, Math.floor(columnWidth / 80))
    const across = Math.min(maxAcross, Math.max(1, Math.ceil((members.length * 40) / available)))
    const rows = Math.ceil(members.length / across)
    const spacing = Math.min(110, columnWidth / across)
    for (const [i, node] of members.entries()) {
      const column = i % across
      const row = Math.floor(i / across)
      node.x = x0 + columnWidth / 2 + (column - (across - 1) / 2) * spacing
      node.y = top + ((row + 0.5) * available) / rows
    }
    return { namespace, x0: x0 + 1, x1: x0 + columnWidth - 1, y0: 4, y1: height - 4, vertical: true }
  })
}
