// Slack incoming webhooks (https://api.slack.com/messaging/webhooks):
//   POST <webhook URL>, JSON { text (fallback for notifications), blocks?: Block Kit blocks }
//   200 "ok" when posted; 400 invalid_payload / 403 / 404 no_service: do not retry;
//   429 rate limited with Retry-After (seconds), 5xx: try again.
// Blocks used: header (plain_text, at most 150 characters), section (mrkdwn, at most 3,000),
// context (mrkdwn elements).
import type { Notification } from '@palisade/alerting'
import { headline, runbooks, truncate } from './chat-text.ts'
import { deliverWithRetry, type RetryEnvironment, type RetryPolicy } from './deliver-with-retry.ts'
import { incidentUrl } from './pagerduty-events-v2.ts'
import { postJson } from './post-json.ts'
import type { Receiver } from './receiver.ts'

/** Settings of one Slack receiver. */
export interface SlackReceiverOptions {
  /** The receiver's name in the routing file. */
  name: string
  /** The channel's incoming webhook URL. */
  url: string
  /** The dashboard's address: messages link to their incident (default none). */
  dashboardUrl?: string
  /** Retry policy (defaults in `defaultRetryPolicy`). */
  retry?: Partial<RetryPolicy>
  /** Per-request time-out, ms (default 10,000). */
  timeoutMs?: number
  /** For tests: how retries wait. */
  retryEnvironment?: RetryEnvironment
}

const MAX_ALERT_LINES = 10

/** Slack's mrkdwn treats &, < and > as markup: escape them in text from alerts. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** The message: a header with the state and title, the alerts, and links (incident, runbooks). */
export function slackMessage(notification: Notification, dashboardUrl?: string): Record<string, unknown> {
  const head = headline(notification)
  const lines = notification.alerts
    .slice(0, MAX_ALERT_LINES)
    .map((alert) => `• ${escapeMrkdwn(alert.annotations.summary ?? alert.labels.alertname)}`)
  if (notification.alerts.length > MAX_ALERT_LINES)
    lines.push(`…and ${notification.alerts.length - MAX_ALERT_LINES} more`)
  const links = [
    ...(dashboardUrl
      ? [
          `<${incidentUrl(dashboardUrl, notification.incident_key ?? notification.dedup_key)}|Open in Palisade>`,
        ]
      : []),
    ...runbooks(notification).map(({ rule, url }) => `<${url}|Runbook: ${escapeMrkdwn(rule)}>`),
  ]
  return {
    text: truncate(`[${notification.tenant}] ${head}`, 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(head, 150), emoji: true } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncate(`${escapeMrkdwn(notification.summary)}\n${lines.join('\n')}`, 3000),
        },
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: truncate(
              [
                `*${notification.severity}*`,
                escapeMrkdwn(notification.tenant),
                notification.alertname,
                ...links,
              ].join(' · '),
              3000,
            ),
          },
        ],
      },
    ],
  }
}

/** A receiver posting {@link slackMessage} to an incoming webhook, retrying 429 (Retry-After) and 5xx. */
export function createSlackReceiver(options: SlackReceiverOptions): Receiver {
  return {
    name: options.name,
    send(notification) {
      const body = slackMessage(notification, options.dashboardUrl)
      return deliverWithRetry(
        () =>
          postJson(options.url, body, {
            receiver: options.name,
            accepts: (status) => status === 200,
            timeoutMs: options.timeoutMs,
          }),
        options.retry,
        options.retryEnvironment,
      )
    },
  }
}
