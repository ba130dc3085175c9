import { labelsMatch } from './label-matcher.ts'
import type { RouteNode } from './routing-config.ts'

/**
 * The routes an alert's labels end at, Alertmanager's way: from the root, the first matching child
 * wins (and is descended into) unless it sets `continue`; a node none of whose children match is
 * itself the result. Each result carries its receiver, group_by and timings. Never empty.
 */
export function routeAlert(route: RouteNode, labels: Readonly<Record<string, string>>): RouteNode[] {
  const matched: RouteNode[] = []
  for (const child of route.routes) {
    if (!labelsMatch(child.matchers, labels)) continue
    matched.push(...routeAlert(child, labels))
    if (!child.continue) break
  }
  return matched.length > 0 ? matched : [route]
}

/** Label sets whose routes {@link createRouteCache} remembers before it starts afresh (default). */
const ROUTE_CACHE_SIZE = 10_000

/**
 * {@link routeAlert} remembered per label set, as far as the tree looks at it: two alerts that agree
 * on every label some matcher names end at the same routes, so a flood of alerts differing only in
 * `instance` walks the tree (regular expressions included) once. Holds at most `size` label sets
 * (default 10,000), then starts afresh; the routes returned are shared, never to be changed.
 */
export function createRouteCache(
  root: RouteNode,
  size = ROUTE_CACHE_SIZE,
): (labels: Readonly<Record<string, string>>) => readonly RouteNode[] {
  const named = new Set<string>()
  const visit = (node: RouteNode) => {
    for (const matcher of node.matchers) named.add(matcher.name)
    for (const child of node.routes) visit(child)
  }
  visit(root)
  const names = [...named].sort()
  const cache = new Map<string, RouteNode[]>()
  return (labels) => {
    // A matcher reads a missing label as the empty string: so does the key.
    const key = JSON.stringify(names.map((name) => labels[name] ?? ''))
    let routes = cache.get(key)
    if (!routes) {
      if (cache.size >= size) cache.clear()
      routes = routeAlert(root, labels)
      cache.set(key, routes)
    }
    return routes
  }
}
