// The alert router under a flood, measured by `npm run bench:router` (scripts/bench-router.ts) and
// run small by its smoke test. What is timed is the router's own work: the ledger is an in-memory
// one and receivers accept at once, so neither ClickHouse inserts nor HTTP enter the figures (the
// alert router's integration tests cover those parts for real).

import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createAlertRouter, type Receiver } from '@palisade/alert-router'
import { type LabelMatcher, labelsMatch, parseRoutingConfig, type RoutingConfig } from '@palisade/alerting'
import type { NotificationLedger, NotificationRecord } from '@palisade/clickhouse'
import type { Alert } from '@palisade/schema'

/** Sizes of one run. */
export interface RouterBenchOptions {
  /** Active alerts (default 100,000). */
  alerts: number
  /** Groups they fall into, `alertname` × `service` (default 5,000). */
  groups: number
  /** Alerts of the pre-change inhibition measured and extrapolated from (default 2,000). */
  quadraticSample: number
}

/** One run's figures. */
export interface RouterBenchResult {
  alerts: number
  groups: number
  notifications: number
  silences: number
  acceptMs: number
  alertsPerSecond: number
  flushMs: number
  /** The longest event-loop delay during accept and flush, ms. */
  longestStallMs: number
  rssBeforeMb: number
  rssAfterMb: number
  /** The same run with no inhibition rules and no silences. */
  baseline: { acceptMs: number; alertsPerSecond: number; flushMs: number; longestStallMs: number }
  /** The pre-change inhibition (every target against every held alert), timed on the sample. */
  quadratic: { sample: number; ms: number; extrapolatedMs: number }
}

const RULES = 20
const PAGE_RULES = 4

function routingText(withMuting: boolean, services: number): string {
  const muting = withMuting
    ? `
inhibit_rules:
  - { source_matchers: ['severity="page"'], target_matchers: ['severity="ticket"'], equal: [service] }
  - { source_matchers: ['alertname="rule-0"'], target_matchers: ['alertname=~"rule-1.*"'], equal: [service, zone] }
silences:
${Array.from(
  { length: Math.max(1, Math.floor(services / 50)) },
  (_, i) =>
    `  - { matchers: ['service="svc-${i * 50}"'], starts_at: '2026-01-01T00:00:00Z', ends_at: '2027-01-01T00:00:00Z' }`,
).join('\n')}
  - { matchers: ['zone=~"zone-9.*"', 'alertname="rule-19"'], starts_at: '2026-01-01T00:00:00Z', ends_at: '2027-01-01T00:00:00Z' }
`
    : ''
  // A budget no rule reaches: every group notifies, the flush's worst case.
  return `
route:
  receiver: tickets
  group_by: [alertname, service]
  group_wait: 30s
  group_interval: 5m
  routes:
    - { matchers: ['severity="page"'], receiver: pager }
receivers: [{ name: pager, pagerduty: {} }, { name: tickets, webhook: {} }]
noise_budget: { per_hour: 1000000 }
${muting}`
}

/** `count` alerts in `groups` groups (alertname × service), pages on the first rules. */
export function floodOf(count: number, groups: number, at: number): Alert[] {
  const services = Math.max(1, Math.ceil(groups / RULES))
  return Array.from({ length: count }, (_, i) => {
    const group = i % groups
    const rule = group % RULES
    return {
      tenant: 'bench',
      labels: {
        alertname: `rule-${rule}`,
        severity: rule < PAGE_RULES ? 'page' : 'ticket',
        service: `svc-${Math.floor(group / RULES) % services}`,
        zone: `zone-${i % 10}`,
        instance: `pod-${i}`,
      },
      annotations: { summary: `alert ${i}` },
      status: 'firing',
      starts_at: at,
    } as Alert
  })
}

function memoryLedger(): NotificationLedger {
  const rows: NotificationRecord[] = []
  return {
    async record(records) {
      rows.push(...records)
    },
    async latest() {
      return []
    },
    async incidents() {
      return []
    },
    async incident() {
      return undefined
    },
    async deliveredSince() {
      return false
    },
  }
}

function countingReceiver(name: string, sent: { count: number }): Receiver {
  return {
    name,
    async send() {
      sent.count++
      return { ok: true, attempts: 1 }
    },
  }
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)

async function routerRun(routing: RoutingConfig, alerts: Alert[], start: number) {
  let now = start
  const sent = { count: 0 }
  const router = createAlertRouter({
    routing,
    receivers: new Map([
      ['pager', countingReceiver('pager', sent)],
      ['tickets', countingReceiver('tickets', sent)],
    ]),
    ledger: memoryLedger(),
    clock: () => now,
    log: { info: () => {}, warn: () => {}, error: () => {} },
    tickIntervalMs: 0,
  })
  await router.start()
  // The longest the event loop waited during accept and flush: what /healthz would have waited.
  const stalls = monitorEventLoopDelay({ resolution: 5 })
  stalls.enable()
  const acceptStart = performance.now()
  // As the bus hands them over: batches of 500.
  for (let i = 0; i < alerts.length; i += 500) await router.receive(alerts.slice(i, i + 500))
  const acceptMs = performance.now() - acceptStart
  const rss = process.memoryUsage().rss
  now += 60_000
  const flushStart = performance.now()
  await router.tick()
  const flushMs = performance.now() - flushStart
  stalls.disable()
  await router.stop()
  return { acceptMs, flushMs, rss, notifications: sent.count, longestStallMs: stalls.max / 1e6 }
}

/**
 * The inhibition the router had before this change, kept here only to measure against: each
 * firing target is compared with every other alert held, for every rule it matches.
 */
function quadraticInhibitedCount(
  rules: Array<{ sourceMatchers: LabelMatcher[]; targetMatchers: LabelMatcher[]; equal: string[] }>,
  held: Array<Record<string, string>>,
): number {
  let inhibited = 0
  for (let t = 0; t < held.length; t++) {
    const target = held[t]!
    const muted = rules.some((rule) => {
      if (!labelsMatch(rule.targetMatchers, target)) return false
      for (let s = 0; s < held.length; s++) {
        if (s === t) continue
        const source = held[s]!
        if (!labelsMatch(rule.sourceMatchers, source)) continue
        if (rule.equal.every((name) => (source[name] ?? '') === (target[name] ?? ''))) return true
      }
      return false
    })
    if (muted) inhibited++
  }
  return inhibited
}

/** Run the bench once at the given sizes. */
export async function runRouterBench(options: RouterBenchOptions): Promise<RouterBenchResult> {
  const services = Math.max(1, Math.ceil(options.groups / RULES))
  const start = Date.UTC(2026, 10, 23, 10)
  const alerts = floodOf(options.alerts, options.groups, start)
  const rssBefore = process.memoryUsage().rss

  const withMuting = parseRoutingConfig(routingText(true, services))
  const without = parseRoutingConfig(routingText(false, services))
  // Warm both paths up first, so that neither run pays the JIT for the other.
  const warmUp = alerts.slice(0, Math.min(alerts.length, 5000))
  await routerRun(withMuting, warmUp, start)
  await routerRun(without, warmUp, start)
  const measured = await routerRun(withMuting, alerts, start)
  const baseline = await routerRun(without, alerts, start)

  const sample = floodOf(
    options.quadraticSample,
    Math.min(options.groups, options.quadraticSample),
    start,
  ).map((alert) => ({ ...alert.labels, tenant: alert.tenant }))
  const rules = withMuting.inhibitRules
  const quadraticStart = performance.now()
  quadraticInhibitedCount(rules, sample)
  const quadraticMs = performance.now() - quadraticStart

  return {
    alerts: options.alerts,
    groups: options.groups,
    notifications: measured.notifications,
    silences: withMuting.silences.length,
    acceptMs: measured.acceptMs,
    alertsPerSecond: (options.alerts / measured.acceptMs) * 1000,
    flushMs: measured.flushMs,
    longestStallMs: measured.longestStallMs,
    rssBeforeMb: mb(rssBefore),
    rssAfterMb: mb(measured.rss),
    baseline: {
      acceptMs: baseline.acceptMs,
      alertsPerSecond: (options.alerts / baseline.acceptMs) * 1000,
      flushMs: baseline.flushMs,
      longestStallMs: baseline.longestStallMs,
    },
    quadratic: {
      sample: options.quadraticSample,
      ms: quadraticMs,
      extrapolatedMs: quadraticMs * (options.alerts / options.quadraticSample) ** 2,
    },
  }
}

/** The figures as printed, one per line, each with its ratio to the baseline of the same run. */
export function routerBenchReport(result: RouterBenchResult): string {
  const n = (value: number) => Math.round(value).toLocaleString('en-US')
  // A baseline of 0 (a stall too short to sample at a tiny size) has no ratio.
  const ratio = (value: number, base: number) => (base > 0 ? `${(value / base).toFixed(2)}x` : 'n/a:')
  return [
    `${n(result.alerts)} active alerts in ${n(result.groups)} groups, 2 inhibition rules, ${n(result.silences)} silences; ${n(result.notifications)} notifications planned`,
    `flush time:        ${n(result.flushMs)} ms  (${ratio(result.flushMs, result.baseline.flushMs)} the same flush without inhibition and silences: ${n(result.baseline.flushMs)} ms)`,
    `alerts/s accepted: ${n(result.alertsPerSecond)}  (${ratio(result.alertsPerSecond, result.baseline.alertsPerSecond)} the rate without inhibition and silences: ${n(result.baseline.alertsPerSecond)})`,
    `longest event-loop stall: ${n(result.longestStallMs)} ms during accept and flush  (${ratio(result.longestStallMs, result.baseline.longestStallMs)} without inhibition and silences: ${n(result.baseline.longestStallMs)} ms)`,
    `RSS:               ${n(result.rssAfterMb)} MB holding them  (${ratio(result.rssAfterMb, result.rssBeforeMb)} the ${n(result.rssBeforeMb)} MB before taking them in)`,
    `pre-change inhibition (every alert against every other): ${n(result.quadratic.ms)} ms for ${n(result.quadratic.sample)} alerts, ~${n(result.quadratic.extrapolatedMs / 1000)} s extrapolated (n²) to ${n(result.alerts)}: ${ratio(result.quadratic.extrapolatedMs, result.flushMs)} this flush`,
  ].join('\n')
}
