import { type AlertFromFindingOptions, alertFromFinding } from '@palisade/alerting'
import { type Bus, type Subscription, topics } from '@palisade/bus'
import type { Alert, Finding } from '@palisade/schema'
import type { AlertRouter } from './alert-router.ts'

/**
 * Join consumer group `alert-router` on both findings topics, the detectors' and the risk scorer's
 * (each finding becomes an alert, see `alertFromFinding`), and the alerts topic (the SLO
 * evaluator's alerts). A batch is committed once the router has taken its alerts in.
 */
export function subscribeAlertRouter(
  bus: Bus,
  router: Pick<AlertRouter, 'receive'>,
  options: AlertFromFindingOptions & {
    /** Consumer group (default `alert-router`); each peer of a cluster has its own, to see every alert. */
    group?: string
  } = {},
): Promise<Subscription> {
  return bus.subscribe(
    options.group ?? 'alert-router',
    [topics.findings, topics.riskFindings, topics.alerts],
    async (batch) => {
      const alerts =
        batch.topic !== topics.alerts
          ? batch.messages.map((message) => alertFromFinding(message.value as Finding, options))
          : batch.messages.map((message) => message.value as Alert)
      await router.receive(alerts)
    },
  )
}
