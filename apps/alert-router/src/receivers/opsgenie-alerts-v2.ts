// Opsgenie Alert API v2 (https://docs.opsgenie.com/docs/alert-api):
//   create:      POST <api>/v2/alerts, Authorization: GenieKey <key>, JSON { message (<= 130 chars),
//                alias (<= 512, Opsgenie's de-duplication key), description (<= 15,000), tags,
//                details (string map), entity, source, priority: P1..P5 }
//   acknowledge: POST <api>/v2/alerts/<alias>/acknowledge?identifierType=alias, JSON { source, user?, note? }
//   close:       POST <api>/v2/alerts/<alias>/close?identifierType=alias, JSON { source, user?, note? }
//   202 when the request is accepted (processed asynchronously); 429 and 5xx: try again.
import type { Notification } from '@palisade/alerting'
import type { Severity } from '@palisade/schema'
import { headline, runbooks, truncate } from './chat-text.ts'
import { deliverWithRetry, type RetryEnvironment, type RetryPolicy } from './deliver-with-retry.ts'
import { incidentUrl } from './pagerduty-events-v2.ts'
import { postJson } from './post-json.ts'
import type { Receiver } from './receiver.ts'

/** Opsgenie's API in its US region (`https://api.eu.opsgenie.com` in the EU). */
export const opsgenieApiUrl = 'https://api.opsgenie.com'

/** Settings of one Opsgenie receiver. */
export interface OpsgenieReceiverOptions {
  /** The receiver's name in the routing file. */
  name: string
  /** API base URL (default {@link opsgenieApiUrl}). */
  url?: string
  /** An API integration's key. */
  apiKey: string
  /** The dashboard's address: alerts link to their incident (default none). */
  dashboardUrl?: string
  /** Retry policy (defaults in `defaultRetryPolicy`). */
  retry?: Partial<RetryPolicy>
  /** Per-request time-out, ms (default 10,000). */
  timeoutMs?: number
  /** For tests: how retries wait. */
  retryEnvironment?: RetryEnvironment
}

const PRIORITY: Record<Severity, string> = { page: 'P1', ticket: 'P3', info: 'P5' }

/** The request for a notification: its path under the API and its body. */
export function opsgenieRequest(
  notification: Notification,
  dashboardUrl?: string,
): { path: string; body: Record<string, unknown> } {
  const alias = encodeURIComponent(notification.dedup_key)
  if (notification.action !== 'trigger') {
    const verb = notification.action === 'resolve' ? 'close' : 'acknowledge'
    return {
      path: `/v2/alerts/${alias}/${verb}?identifierType=alias`,
      body: {
        source: 'Palisade',
        ...(notification.actor ? { user: truncate(notification.actor, 100) } : {}),
        note: truncate(notification.summary, 25_000),
      },
    }
  }
  const service = notification.group_labels.service ?? notification.alerts[0]?.labels.service
  const details: Record<string, string> = {
    tenant: notification.tenant,
    rule: notification.alertname,
    alerts: String(notification.alerts.length),
    ...(notification.reason ? { reason: notification.reason } : {}),
    ...(dashboardUrl
      ? { incident_url: incidentUrl(dashboardUrl, notification.incident_key ?? notification.dedup_key) }
      : {}),
  }
  for (const { rule, url } of runbooks(notification)) details[`runbook ${rule}`] = url
  return {
    path: '/v2/alerts',
    body: {
      message: truncate(`[${notification.tenant}] ${headline(notification)}`, 130),
      alias: notification.dedup_key,
      description: truncate(
        [
          notification.summary,
          ...notification.alerts.map((alert) => `- ${alert.annotations.summary ?? alert.labels.alertname}`),
        ].join('\n'),
        15_000,
      ),
      tags: [notification.tenant, notification.alertname, notification.severity].map((tag) =>
        truncate(tag, 50),
      ),
      details,
      ...(service ? { entity: truncate(service, 512) } : {}),
      source: 'Palisade',
      priority: PRIORITY[notification.severity],
    },
  }
}

/** A receiver creating, acknowledging and closing Opsgenie alerts by alias, retrying 429 and 5xx. */
export function createOpsgenieReceiver(options: OpsgenieReceiverOptions): Receiver {
  const base = (options.url ?? opsgenieApiUrl).replace(/\/+$/, '')
  return {
    name: options.name,
    send(notification) {
      const { path, body } = opsgenieRequest(notification, options.dashboardUrl)
      return deliverWithRetry(
        () =>
          postJson(`${base}${path}`, body, {
            receiver: options.name,
            accepts: (status) => status === 202 || status === 200,
            timeoutMs: options.timeoutMs,
            headers: { authorization: `GenieKey ${options.apiKey}` },
          }),
        options.retry,
        options.retryEnvironment,
      )
    },
  }
}
