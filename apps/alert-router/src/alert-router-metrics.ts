import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/**
 * The alert router's Prometheus metrics. Labels are bounded: receiver names come from the routing
 * file, severity and action are enums; never tenant, alertname or dedup key.
 */
export function createAlertRouterMetrics(
  registry: Registry,
  gauges: { active: () => number; pending: () => number },
) {
  return {
    alertsReceived: new Counter({
      name: 'palisade_alert_router_alerts_received_total',
      help: 'Alerts received (findings included), by severity and status',
      labelNames: ['severity', 'status'] as const,
      registers: [registry],
    }),
    notificationsPlanned: new Counter({
      name: 'palisade_alert_router_notifications_planned_total',
      help: 'Notifications planned, by receiver and reason (opened, updated, repeated, escalated, collapsed, noisy_rule, resolved)',
      labelNames: ['receiver', 'reason'] as const,
      registers: [registry],
    }),
    notificationsSent: new Counter({
      name: 'palisade_alert_router_notifications_sent_total',
      help: 'Notifications a receiver accepted, by receiver and action',
      labelNames: ['receiver', 'action'] as const,
      registers: [registry],
    }),
    notificationsFailed: new Counter({
      name: 'palisade_alert_router_notifications_failed_total',
      help: 'Delivery rounds that failed, by receiver, action and outcome (will_retry or rejected)',
      labelNames: ['receiver', 'action', 'outcome'] as const,
      registers: [registry],
    }),
    deliverySeconds: new Histogram({
      name: 'palisade_alert_router_delivery_seconds',
      help: 'Time a receiver took to take or refuse a notification, its own retries included, by receiver and outcome, seconds',
      labelNames: ['receiver', 'outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    incidentsActive: new Gauge({
      name: 'palisade_alert_router_incidents_active',
      help: 'Incidents with a trigger sent and no resolve yet',
      registers: [registry],
      collect() {
        this.set(gauges.active())
      },
    }),
    notificationsPending: new Gauge({
      name: 'palisade_alert_router_notifications_pending',
      help: 'Notifications waiting for a later delivery round after their receiver was unavailable',
      registers: [registry],
      collect() {
        this.set(gauges.pending())
      },
    }),
  }
}

export type AlertRouterMetrics = ReturnType<typeof createAlertRouterMetrics>
