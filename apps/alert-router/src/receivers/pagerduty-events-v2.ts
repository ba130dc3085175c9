// PagerDuty Events API v2, alert events (https://developer.pagerduty.com/docs/events-API-v2/):
//   POST <url> (default https://events.pagerduty.com/v2/enqueue), JSON, answered 202 when accepted.
//   trigger: { routing_key, event_action: "trigger", dedup_key (<= 255 chars),
//              payload: { summary (<= 1024 chars), source, severity: critical|error|warning|info,
//                         timestamp (ISO 8601)?, component?, group?, class?, custom_details? },
//              links?: [{ href, text }], client?, client_url? }
//   acknowledge, resolve: { routing_key, event_action: "acknowledge" | "resolve", dedup_key }
//   400 = invalid event (do not retry), 429 = rate limited, 5xx = try again.
import type { Notification } from '@palisade/alerting'
import type { Severity } from '@palisade/schema'
import { deliverWithRetry, type RetryEnvironment, type RetryPolicy } from './deliver-with-retry.ts'
import { postJson } from './post-json.ts'
import type { Receiver } from './receiver.ts'

/** PagerDuty's public Events API v2 endpoint. */
export const pagerDutyEventsUrl = 'https://events.pagerduty.com/v2/enqueue'

/** Settings of one PagerDuty receiver. */
export interface PagerDutyReceiverOptions {
  /** The receiver's name in the routing file. */
  name: string
  /** The integration's routing key (Events API v2 integration key). */
  routingKey: string
  /** Events endpoint (default {@link pagerDutyEventsUrl}). */
  url?: string
  /** The dashboard's address as on-call opens it: pages link back to their incident (default none). */
  dashboardUrl?: string
  /** Retry policy (defaults in `defaultRetryPolicy`). */
  retry?: Partial<RetryPolicy>
  /** Per-request time-out, ms (default 10,000). */
  timeoutMs?: number
  /** For tests: how retries wait. */
  retryEnvironment?: RetryEnvironment
}

const SEVERITY: Record<Severity, 'critical' | 'warning' | 'info'> = {
  page: 'critical',
  ticket: 'warning',
  info: 'info',
}
const MAX_SUMMARY = 1024
// Enough to read an incident; PagerDuty caps the whole event at 512 KB.
const MAX_ALERTS_IN_DETAILS = 50

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

/** The dashboard's page of an incident, under `dashboardUrl` (the front end routes on the hash). */
export function incidentUrl(dashboardUrl: string, incidentKey: string): string {
  return `${dashboardUrl.replace(/\/+$/, '')}/#/incident/${encodeURIComponent(incidentKey)}`
}

/**
 * The Events API v2 body for a notification (an acknowledge or resolve carries only the routing and
 * dedup keys). The summary is the incident's title; each runbook link is named after its own rule.
 */
export function pagerDutyEvent(
  notification: Notification,
  routingKey: string,
  dashboardUrl?: string,
): Record<string, unknown> {
  const head = {
    routing_key: routingKey,
    event_action: notification.action,
    dedup_key: notification.dedup_key,
  }
  if (notification.action !== 'trigger') return head
  const { alerts, group_labels: groupLabels, tenant } = notification
  const service = groupLabels.service ?? alerts[0]?.labels.service
  // One link per runbook, named after the rule whose alert cites it: grouped findings keep their own.
  const links = new Map<string, string>()
  for (const alert of alerts) {
    const url = alert.annotations.runbook_url
    if (url?.startsWith('http') && !links.has(url)) links.set(url, `Runbook: ${alert.labels.alertname}`)
  }
  return {
    ...head,
    payload: {
      summary: truncate(`[${tenant}] ${notification.title ?? notification.summary}`, MAX_SUMMARY),
      source: service ?? `palisade/${tenant}`,
      severity: SEVERITY[notification.severity],
      timestamp: new Date(Math.min(...alerts.map((alert) => alert.starts_at))).toISOString(),
      ...(service ? { component: service } : {}),
      group: tenant,
      class: notification.alertname,
      custom_details: {
        tenant,
        summary: notification.summary,
        // Why on-call hears of it: opened, escalated (news joined an open incident), collapsed, ...
        ...(notification.reason ? { reason: notification.reason } : {}),
        ...(notification.incident_key && notification.incident_key !== notification.dedup_key
          ? { incident_key: notification.incident_key }
          : {}),
        group_labels: groupLabels,
        firing: alerts.length,
        alerts: alerts.slice(0, MAX_ALERTS_IN_DETAILS).map((alert) => ({
          labels: alert.labels,
          annotations: alert.annotations,
          starts_at: new Date(alert.starts_at).toISOString(),
          ...(alert.finding_id ? { finding_id: alert.finding_id } : {}),
        })),
      },
    },
    ...(links.size > 0 ? { links: [...links].map(([href, text]) => ({ href, text })) } : {}),
    client: 'Palisade',
    ...(dashboardUrl
      ? { client_url: incidentUrl(dashboardUrl, notification.incident_key ?? notification.dedup_key) }
      : {}),
  }
}

/** A receiver that sends PagerDuty Events API v2 events, expecting 202, retrying 429 and 5xx. */
export function createPagerDutyReceiver(options: PagerDutyReceiverOptions): Receiver {
  const url = options.url ?? pagerDutyEventsUrl
  return {
    name: options.name,
    send(notification) {
      const body = pagerDutyEvent(notification, options.routingKey, options.dashboardUrl)
      return deliverWithRetry(
        () =>
          postJson(url, body, {
            receiver: options.name,
            accepts: (status) => status === 202,
            timeoutMs: options.timeoutMs,
          }),
        options.retry,
        options.retryEnvironment,
      )
    },
  }
}
