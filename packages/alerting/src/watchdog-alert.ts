import type { Alert } from '@palisade/schema'

/** The heartbeat's alert name, as Prometheus's conventional always-firing alert is named. */
export const WATCHDOG_ALERTNAME = 'Watchdog'

/**
 * The router's always-firing heartbeat for `tenant`: routed like any alert (a route matching
 * `alertname="Watchdog"` sends it to a dead-man's switch, re-sent every `repeat_interval`), so the
 * switch pages when it stops arriving: the router, its ledger or its way out is down.
 */
export function watchdogAlert(tenant: string, since: number): Alert {
  return {
    tenant,
    labels: { alertname: WATCHDOG_ALERTNAME, severity: 'info', palisade: 'heartbeat' },
    annotations: {
      title: "Palisade's alerting pipeline is alive",
      summary:
        "This alert always fires. A dead-man's switch receiving it every repeat_interval pages when it stops: the alert router, its ledger or its way to receivers is down.",
    },
    status: 'firing',
    starts_at: since,
  }
}
