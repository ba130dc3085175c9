import type { NoiseBudgetUsage } from '@palisade/alerting'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** Rules reported by the noise budget gauges, the busiest first: a bound on their label's values. */
const BUDGET_RULES = 100

/** The noise budget per rule, across tenants: the fullest tenant's spend, collapses summed. */
function budgetByRule(usage: readonly NoiseBudgetUsage[]) {
  const rules = new Map<string, { limit: number; spent: number; collapsed: number }>()
  for (const entry of usage) {
    const rule = rules.get(entry.rule) ?? { limit: entry.limit, spent: 0, collapsed: 0 }
    rule.spent = Math.max(rule.spent, entry.spent)
    rule.collapsed += entry.collapsed
    rules.set(entry.rule, rule)
  }
  return [...rules]
    .sort((a, b) => b[1].spent / b[1].limit - a[1].spent / a[1].limit || b[1].collapsed - a[1].collapsed)
    .slice(0, BUDGET_RULES)
}

/**
 * The alert router's Prometheus metrics. Labels are bounded: receiver names come from the routing
 * file, severity and action are enums; never tenant or dedup key. The noise budget gauges name the
 * rule (alertname), at most {@link BUDGET_RULES} of them, the fullest first.
 */
export function createAlertRouterMetrics(
  registry: Registry,
  gauges: { active: () => number; pending: () => number; budget?: () => NoiseBudgetUsage[] },
) {
  const budget = () => budgetByRule(gauges.budget?.() ?? [])
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
    noiseBudgetSpent: new Gauge({
      name: 'palisade_alert_router_noise_budget_spent',
      help: 'Notifications a rule caused in the hour of event time up to its newest alert (the fullest tenant), by rule',
      labelNames: ['rule'] as const,
      registers: [registry],
      collect() {
        this.reset()
        for (const [rule, usage] of budget()) this.set({ rule }, usage.spent)
      },
    }),
    noiseBudgetLimit: new Gauge({
      name: 'palisade_alert_router_noise_budget_limit',
      help: 'Notifications a rule may cause per tenant and hour of event time before its alerts collapse, by rule',
      labelNames: ['rule'] as const,
      registers: [registry],
      collect() {
        this.reset()
        for (const [rule, usage] of budget()) this.set({ rule }, usage.limit)
      },
    }),
    noiseBudgetCollapsed: new Gauge({
      name: 'palisade_alert_router_noise_collapsed_alerts',
      help: 'Alerts of a rule collapsed into its noise digest since the router started (every tenant), by rule',
      labelNames: ['rule'] as const,
      registers: [registry],
      collect() {
        this.reset()
        for (const [rule, usage] of budget()) this.set({ rule }, usage.collapsed)
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
