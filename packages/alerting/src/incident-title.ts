import type { Alert } from '@palisade/schema'

/**
 * An incident's title for people: the first alert's `title` annotation (findings carry the finding's
 * title, SLO alerts "Auth success burning 37× its budget (identity)"), else its summary, else the
 * alertname; with how many more alerts there are.
 */
export function incidentTitle(alerts: readonly Alert[], alertname: string): string {
  const first = alerts[0]
  const title = first?.annotations.title || first?.annotations.summary || alertname
  return alerts.length > 1 ? `${title} (+${alerts.length - 1} more)` : title
}
