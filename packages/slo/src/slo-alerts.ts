import type { Alert } from '@palisade/schema'
import type { SloDefinition } from './slo-definition.ts'
import type { BurnRateTierStatus, SloStatus } from './slo-status.ts'

/** What the evaluator keeps per (tenant, SLO) between evaluations: the severity it last sent firing. */
export interface SloAlertState {
  severity: 'page' | 'ticket'
  /** When this severity started firing, epoch ms: the alert's `starts_at` while it lasts. */
  startsAt: number
  /**
   * Since when a ticket's SLO has burned above {@link ESCALATE_ABOVE}× over 5 minutes, evaluation
   * after evaluation, epoch ms; absent when it does not.
   */
  burningSince?: number
}

/** A ticket escalates to a page when its SLO burns above this rate (over 5 minutes)... */
export const ESCALATE_ABOVE = 2
/** ...for this long, ms (the guides' policy: above 2× for 10 minutes). */
export const ESCALATE_AFTER_MS = 10 * 60_000

/** The alerts one evaluation sends for one SLO, and the state to keep for the next evaluation. */
export interface SloAlertTransition {
  alerts: Alert[]
  /** `undefined` once nothing fires. */
  state: SloAlertState | undefined
}

/** Inputs of {@link sloAlerts}. */
export interface SloAlertInput {
  tenant: string
  slo: SloDefinition
  status: SloStatus
  /** State returned by the previous evaluation of this (tenant, SLO); `undefined` if it was not firing. */
  previous?: SloAlertState
}

function rate(value: number): string {
  if (value >= 100) return `${value.toFixed(0)}x`
  if (value >= 10) return `${value.toFixed(1)}x`
  return `${value.toFixed(2)}x`
}

function percent(fraction: number, digits: number): string {
  // toFixed then Number drops float noise and trailing zeros: 0.999 → "99.9%".
  return `${Number((fraction * 100).toFixed(digits))}%`
}

/** How many times its budget an SLO burns, as people say it: 37×, 6.2×, 1.45×. */
function times(value: number): string {
  return `${Number(value >= 10 ? value.toFixed(0) : value.toFixed(1))}×`
}

function describeTier(tier: BurnRateTierStatus): string {
  return `${tier.threshold}x over ${tier.longWindow} and ${tier.shortWindow}`
}

function labelsFor(slo: SloDefinition, severity: 'page' | 'ticket'): Alert['labels'] {
  return { alertname: 'SLOBurnRate', slo: slo.name, service: slo.service, severity }
}

function annotationsFor(
  slo: SloDefinition,
  status: SloStatus,
  summary: string,
  tier?: BurnRateTierStatus,
  title?: string,
): Record<string, string> {
  const burnRates = status.burnRates.map((burn) => `${burn.window}=${rate(burn.burnRate)}`).join(' ')
  const scope = slo.indicator.service === undefined ? 'all services' : `service ${slo.indicator.service}`
  const budget = percent(status.budgetRemaining, 1)
  return {
    ...(title ? { title } : {}),
    summary,
    description:
      `SLO ${slo.name} (${percent(slo.objective, 4)} over ${slo.window}, ${slo.indicator.rollup} rollup, ${scope}). ` +
      `Burn rates: ${burnRates}. Error budget left over ${slo.window}: ${budget}.`,
    burn_rates: burnRates,
    budget_remaining: budget,
    objective: percent(slo.objective, 4),
    ...(tier ? { tier: describeTier(tier) } : {}),
    runbook_url: slo.runbookUrl,
  }
}

/**
 * Turn an evaluated SLO into alerts: one firing alert at the highest firing severity (page over
 * ticket), re-sent on every evaluation while it fires, and a `resolved` one for the previous
 * severity when that no longer fires. Labels are `{alertname: SLOBurnRate, slo, service,
 * severity}`: the tier lives in annotations, so moving from the 6x to the 14.4x page tier stays one
 * incident at the router, while ticket → page is a new incident (and resolves the ticket).
 */
export function sloAlerts(input: SloAlertInput): SloAlertTransition {
  const { tenant, slo, status, previous } = input
  const now = status.evaluatedAt
  const firing = status.tiers.filter((tier) => tier.firing)
  const severity = firing.some((tier) => tier.severity === 'page')
    ? 'page'
    : firing.length > 0
      ? 'ticket'
      : undefined
  const alerts: Alert[] = []
  // Escalation: a ticket whose SLO keeps burning above 2× pages once that has lasted 10 minutes,
  // and drops back to a ticket when it no longer does.
  const shortBurn = status.burnRates.find((burn) => burn.window === '5m')?.burnRate ?? 0
  const burningSince =
    severity === 'ticket' && shortBurn > ESCALATE_ABOVE ? (previous?.burningSince ?? now) : undefined
  const escalated = burningSince !== undefined && now - burningSince >= ESCALATE_AFTER_MS
  const sent = escalated ? 'page' : severity

  if (previous && previous.severity !== sent) {
    const why = sent === undefined ? 'no burn-rate tier fires any more' : `it now fires at ${sent} severity`
    alerts.push({
      tenant,
      labels: labelsFor(slo, previous.severity),
      annotations: annotationsFor(
        slo,
        status,
        `${slo.displayName}: ${previous.severity} alert resolved, ${why}`,
      ),
      status: 'resolved',
      starts_at: previous.startsAt,
      ends_at: now,
    })
  }
  if (severity === undefined || sent === undefined) return { alerts, state: undefined }

  // The most urgent firing tier of that severity names the alert: the one with the highest threshold.
  const tier = firing
    .filter((candidate) => candidate.severity === severity)
    .reduce((top, candidate) => (candidate.threshold > top.threshold ? candidate : top))
  const longBurn = status.burnRates.find((burn) => burn.window === tier.longWindow)?.burnRate ?? 0
  const startsAt = previous?.severity === sent ? previous.startsAt : now
  const escalation = escalated
    ? `; escalated to a page: burning above ${ESCALATE_ABOVE}x over 5m for ${Math.round((now - burningSince) / 60_000)} minutes`
    : ''
  alerts.push({
    tenant,
    labels: labelsFor(slo, sent),
    annotations: annotationsFor(
      slo,
      status,
      `${slo.displayName} (${slo.service}) burns its error budget ${rate(longBurn)} too fast over ${tier.longWindow}` +
        ` (${severity} tier ${describeTier(tier)}${escalation}); ${percent(status.budgetRemaining, 1)} of the ${slo.window} budget left` +
        // A short history says so: the budget is then over the span the data covers.
        (status.coverage.complete ? '' : ` (over the ${status.coverage.covered} the data covers)`),
      tier,
      // The incident's title wherever people see it (PagerDuty, the dashboard), not `SLOBurnRate`.
      `${slo.displayName} burning ${times(longBurn)} its budget (${slo.service})`,
    ),
    status: 'firing',
    starts_at: startsAt,
  })
  return {
    alerts,
    state: { severity: sent, startsAt, ...(burningSince !== undefined ? { burningSince } : {}) },
  }
}
