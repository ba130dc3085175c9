// Microsoft Teams incoming webhooks (Workflows "post to a channel when a webhook request is
// received", and the older Office 365 connectors), an Adaptive Card in a message:
//   POST <webhook URL>, JSON { type: "message", attachments: [{ contentType:
//     "application/vnd.microsoft.card.adaptive", contentUrl: null, content: <AdaptiveCard 1.4> }] }
//   2xx when accepted (202 from Workflows, 200 from connectors); 429 with Retry-After and 5xx: retry.
import type { Notification } from '@palisade/alerting'
import { headline, runbooks, truncate } from './chat-text.ts'
import { deliverWithRetry, type RetryEnvironment, type RetryPolicy } from './deliver-with-retry.ts'
import { incidentUrl } from './pagerduty-events-v2.ts'
import { postJson } from './post-json.ts'
import type { Receiver } from './receiver.ts'

/** Settings of one Teams receiver. */
export interface TeamsReceiverOptions {
  /** The receiver's name in the routing file. */
  name: string
  /** The channel's incoming webhook URL. */
  url: string
  /** The dashboard's address: cards link to their incident (default none). */
  dashboardUrl?: string
  /** Retry policy (defaults in `defaultRetryPolicy`). */
  retry?: Partial<RetryPolicy>
  /** Per-request time-out, ms (default 10,000). */
  timeoutMs?: number
  /** For tests: how retries wait. */
  retryEnvironment?: RetryEnvironment
}

/** The message: an Adaptive Card with the state and title, the summary, facts and links. */
export function teamsMessage(notification: Notification, dashboardUrl?: string): Record<string, unknown> {
  const actions = [
    ...(dashboardUrl
      ? [
          {
            type: 'Action.OpenUrl',
            title: 'Open in Palisade',
            url: incidentUrl(dashboardUrl, notification.incident_key ?? notification.dedup_key),
          },
        ]
      : []),
    ...runbooks(notification).map(({ rule, url }) => ({
      type: 'Action.OpenUrl',
      title: `Runbook: ${rule}`,
      url,
    })),
  ]
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              size: 'Large',
              weight: 'Bolder',
              wrap: true,
              color:
                notification.action === 'resolve'
                  ? 'Good'
                  : notification.severity === 'page'
                    ? 'Attention'
                    : 'Warning',
              text: truncate(headline(notification), 500),
            },
            { type: 'TextBlock', wrap: true, text: truncate(notification.summary, 4000) },
            {
              type: 'FactSet',
              facts: [
                { title: 'Severity', value: notification.severity },
                { title: 'Tenant', value: notification.tenant },
                { title: 'Rule', value: notification.alertname },
                { title: 'Alerts', value: String(notification.alerts.length) },
                { title: 'Incident', value: notification.incident_key ?? notification.dedup_key },
              ],
            },
          ],
          ...(actions.length > 0 ? { actions } : {}),
        },
      },
    ],
  }
}

/** A receiver posting {@link teamsMessage} to a Teams webhook, retrying 429 (Retry-After) and 5xx. */
export function createTeamsReceiver(options: TeamsReceiverOptions): Receiver {
  return {
    name: options.name,
    send(notification) {
      const body = teamsMessage(notification, options.dashboardUrl)
      return deliverWithRetry(
        () =>
          postJson(options.url, body, {
            receiver: options.name,
            accepts: (status) => status >= 200 && status < 300,
            timeoutMs: options.timeoutMs,
          }),
        options.retry,
        options.retryEnvironment,
      )
    },
  }
}
