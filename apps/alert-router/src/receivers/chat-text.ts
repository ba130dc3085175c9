import type { Notification } from '@palisade/alerting'

/** Shorten `text` to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

/** What a chat message says a notification is: its state and title, for people. */
export function headline(notification: Notification): string {
  const title = notification.title ?? notification.summary
  if (notification.action === 'resolve') return `Resolved: ${title}`
  if (notification.action === 'acknowledge') return title
  return `${notification.severity === 'page' ? 'Page' : notification.severity === 'ticket' ? 'Ticket' : 'Info'}: ${title}`
}

/** Each rule's runbook once, named after the rule (grouped findings keep their own). */
export function runbooks(notification: Notification): Array<{ rule: string; url: string }> {
  const seen = new Map<string, string>()
  for (const alert of notification.alerts) {
    const url = alert.annotations.runbook_url
    if (url?.startsWith('http') && !seen.has(url)) seen.set(url, alert.labels.alertname)
  }
  return [...seen].map(([url, rule]) => ({ rule, url }))
}
