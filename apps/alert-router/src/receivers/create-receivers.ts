import type { ReceiverTarget } from '../config.ts'
import type { RetryPolicy } from './deliver-with-retry.ts'
import { createHeldReceiver } from './held-receiver.ts'
import { createOpsgenieReceiver } from './opsgenie-alerts-v2.ts'
import { createPagerDutyReceiver } from './pagerduty-events-v2.ts'
import type { Receiver } from './receiver.ts'
import { createSlackReceiver } from './slack-webhook.ts'
import { createTeamsReceiver } from './teams-webhook.ts'
import { createWebhookReceiver } from './webhook.ts'

/** Options shared by every receiver {@link createReceivers} builds. */
export interface ReceiverDefaults {
  /** Retry policy (defaults in `defaultRetryPolicy`). */
  retry?: Partial<RetryPolicy>
  /** Per-request time-out, ms (default 10,000). */
  timeoutMs?: number
  /** The dashboard's address: pages link back to their incident (default none). */
  dashboardUrl?: string
}

/** The receivers of a configuration, by name; `null` receivers send nothing and are left out. */
export function createReceivers(
  targets: ReceiverTarget[],
  defaults: ReceiverDefaults = {},
): Map<string, Receiver> {
  const receivers = new Map<string, Receiver>()
  for (const target of targets) {
    if (target.kind === 'pagerduty') {
      receivers.set(target.name, createPagerDutyReceiver({ ...defaults, ...target }))
    } else if (target.kind === 'webhook') {
      receivers.set(target.name, createWebhookReceiver({ ...defaults, ...target }))
    } else if (target.kind === 'slack') {
      receivers.set(target.name, createSlackReceiver({ ...defaults, ...target }))
    } else if (target.kind === 'msteams') {
      receivers.set(target.name, createTeamsReceiver({ ...defaults, ...target }))
    } else if (target.kind === 'opsgenie') {
      receivers.set(target.name, createOpsgenieReceiver({ ...defaults, ...target }))
    } else if (target.kind === 'held') {
      receivers.set(target.name, createHeldReceiver(target.name, target.missing))
    }
  }
  return receivers
}
