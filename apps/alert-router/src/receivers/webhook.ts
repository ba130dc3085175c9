import type { Notification } from '@palisade/alerting'
import type { Alert } from '@palisade/schema'
import { deliverWithRetry, type RetryEnvironment, type RetryPolicy } from './deliver-with-retry.ts'
import { postJson } from './post-json.ts'
import type { Receiver } from './receiver.ts'

/** Settings of one JSON webhook receiver (tickets). */
export interface WebhookReceiverOptions {
  /** The receiver's name in the routing file. */
  name: string
  url: string
  /** Extra headers, such as an authorization the ticket system needs (default none). */
  headers?: Record<string, string>
  /** Retry policy (defaults in `defaultRetryPolicy`). */
  retry?: Partial<RetryPolicy>
  /** Per-request time-out, ms (default 10,000). */
  timeoutMs?: number
  /** For tests: how retries wait. */
  retryEnvironment?: RetryEnvironment
}

function common(records: Array<Record<string, string>>): Record<string, string> {
  const [first, ...rest] = records
  return Object.fromEntries(
    Object.entries(first ?? {}).filter(([name, value]) => rest.every((r) => r[name] === value)),
  )
}

function iso(ms: number | undefined): string {
  // Alertmanager's "zero time" for an alert that has not ended.
  return ms === undefined ? '0001-01-01T00:00:00Z' : new Date(ms).toISOString()
}

/**
 * The body: Alertmanager's webhook format (version 4: status, groupKey, groupLabels, commonLabels,
 * commonAnnotations, alerts[]) so that existing ticket integrations read it, plus Palisade's
 * `tenant`, `dedup_key`, `action`, `severity` and `summary`.
 */
export function webhookBody(notification: Notification): Record<string, unknown> {
  const status = notification.action === 'trigger' ? 'firing' : 'resolved'
  return {
    version: '4',
    groupKey: notification.dedup_key,
    status,
    receiver: notification.receiver,
    groupLabels: notification.group_labels,
    commonLabels: common(notification.alerts.map((alert) => alert.labels)),
    commonAnnotations: common(notification.alerts.map((alert) => alert.annotations)),
    truncatedAlerts: 0,
    alerts: notification.alerts.map((alert: Alert) => ({
      status: alert.status,
      labels: alert.labels,
      annotations: alert.annotations,
      startsAt: iso(alert.starts_at),
      endsAt: iso(alert.ends_at),
      ...(alert.finding_id ? { findingId: alert.finding_id } : {}),
    })),
    tenant: notification.tenant,
    dedup_key: notification.dedup_key,
    action: notification.action,
    severity: notification.severity,
    summary: notification.summary,
  }
}

/** A receiver that POSTs {@link webhookBody} to a URL, expecting 2xx, retrying 429 and 5xx. */
export function createWebhookReceiver(options: WebhookReceiverOptions): Receiver {
  return {
    name: options.name,
    send(notification) {
      const body = webhookBody(notification)
      return deliverWithRetry(
        () =>
          postJson(options.url, body, {
            receiver: options.name,
            accepts: (status) => status >= 200 && status < 300,
            timeoutMs: options.timeoutMs,
            headers: options.headers,
          }),
        options.retry,
        options.retryEnvironment,
      )
    },
  }
}
