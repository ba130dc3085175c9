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
