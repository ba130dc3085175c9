import {
  createNotificationPlanner,
  type Notification,
  type NotificationPlanner,
  type NotifiedBefore,
  type RoutingConfig,
} from '@palisade/alerting'
import type { IncidentSummary, NotificationLedger, NotificationRecord } from '@palisade/clickhouse'
import type { Alert } from '@palisade/schema'
import { Registry } from 'prom-client'
import { createAlertRouterMetrics } from './alert-router-metrics.ts'
import { AlertRouterNotRunningError, ReceiverNotConfiguredError } from './errors.ts'
import type { DeliveryResult, Receiver } from './receivers/receiver.ts'

/** Where the router reports what it does (the shape of the apps' console log). */
export interface AlertRouterLog {
  info(message: string): void
  warn(message: string): void
  error(message: string, error?: unknown): void
}

/** Options for {@link createAlertRouter}. */
export interface AlertRouterOptions {
  routing: RoutingConfig
  /** A receiver for every non-null receiver of `routing`, by name (see `createReceivers`). */
  receivers: ReadonlyMap<string, Receiver>
  ledger: NotificationLedger
  /** Epoch ms (default `Date.now`); tests drive group_wait and repeat_interval through it. */
  clock?: () => number
  log: AlertRouterLog
  /** Registry for the router's metrics (default a private one); one router per registry. */
  metrics?: Registry
  /** Period of the timer `start()` sets to call `tick()`, ms (default 1,000; 0 = no timer). */
  tickIntervalMs?: number
  /** After a delivery round failed with a retriable error, try again this much later, ms (default 60,000). */
  retryPendingAfterMs?: number
}

/** The alert router: alerts in, notifications out, with its state in the ledger. */
export interface AlertRouter {
  /** Load the ledger (what was delivered, what is still pending), then start the timer. */
  start(): Promise<void>
  /** Take in alerts; they are grouped now and notified by a later `tick()`. */
  receive(alerts: Alert[]): Promise<void>
  /** Deliver what is due now: ends of group_wait, group_interval and repeat_interval, retries. */
  tick(): Promise<void>
  /** Stop the timer, send every group now (even in group_wait), and wait for deliveries in flight. */
  stop(): Promise<void>
  /** Recent incidents of a tenant from the ledger, newest first (default 100). */
  incidents(tenant: string, limit?: number): Promise<IncidentSummary[]>
}

interface Queued {
  notification: Notification
  attempts: number
  nextAttemptAt: number
}

function keyOf(n: Pick<Notification, 'tenant' | 'dedup_key' | 'receiver'>): string {
  return `${n.tenant}\n${n.dedup_key}\n${n.receiver}`
}

function about(n: Notification): string {
  return `${n.action} ${n.alertname} for ${n.tenant} to ${n.receiver} (dedup ${n.dedup_key.slice(0, 12)})`
}

/**
 * Create the router. Deliveries to one (tenant, dedup key, receiver) run one after another, so a
 * resolve never overtakes its trigger; a retriable failure stays `pending` in the ledger and is tried
 * again every `retryPendingAfterMs` until delivered or replaced by a newer notification.
 */
export function createAlertRouter(options: AlertRouterOptions): AlertRouter {
  const { routing, receivers, ledger, log } = options
  const clock = options.clock ?? Date.now
  const tickIntervalMs = options.tickIntervalMs ?? 1000
  const retryPendingAfterMs = options.retryPendingAfterMs ?? 60_000
  const missing = routing.receivers
    .filter((r) => r.kind !== 'null' && !receivers.has(r.name))
    .map((r) => r.name)
  if (missing.length > 0) throw new ReceiverNotConfiguredError(missing)

  let planner: NotificationPlanner | undefined
  let state: 'new' | 'running' | 'stopped' = 'new'
  let timer: NodeJS.Timeout | undefined
  /** The newest notification per key: an older one still being retried is superseded by it. */
  const latest = new Map<string, Notification>()
  const queue = new Map<string, Queued>()
  const chains = new Map<string, Promise<void>>()
  const metrics = createAlertRouterMetrics(options.metrics ?? new Registry(), {
    active: () => planner?.activeIncidents() ?? 0,
    pending: () => queue.size,
  })

  function row(n: Notification, status: NotificationRecord['status'], attempts: number, detail: string) {
    return {
      tenant: n.tenant,
      dedup_key: n.dedup_key,
      receiver: n.receiver,
      action: n.action,
      status,
      alertname: n.alertname,
      severity: n.severity,
      summary: n.summary,
      labels: n.group_labels,
      payload: JSON.stringify(n),
      attempts,
      detail,
      recorded_at: clock(),
    }
  }

  async function record(
    n: Notification,
    status: NotificationRecord['status'],
    attempts: number,
    detail = '',
  ) {
    try {
      await ledger.record([row(n, status, attempts, detail)])
    } catch (error) {
      // Delivering without a ledger row risks a repeat after a restart; not delivering risks a lost
      // page. PagerDuty deduplicates by dedup_key, so the repeat is the lesser harm.
      log.error(`could not record ${status} ${about(n)} in the notification ledger`, error)
    }
  }

  async function deliverOnce(n: Notification, attemptsBefore: number, recordPending: boolean): Promise<void> {
    const key = keyOf(n)
    if (latest.get(key) !== n) return
    if (recordPending) await record(n, 'pending', attemptsBefore)
    const receiver = receivers.get(n.receiver)
    const result: DeliveryResult = receiver
      ? await receiver.send(n)
      : { ok: false, attempts: 0, error: new ReceiverNotConfiguredError([n.receiver]) }
    const attempts = attemptsBefore + result.attempts
    if (result.ok) {
      await record(n, 'delivered', attempts)
      metrics.notificationsSent.inc({ receiver: n.receiver, action: n.action })
      log.info(`delivered ${about(n)} after ${attempts} attempt(s)`)
    } else if (result.error?.retriable && state !== 'stopped' && latest.get(key) === n) {
      await record(n, 'pending', attempts, result.error.message)
      metrics.notificationsFailed.inc({ receiver: n.receiver, action: n.action, outcome: 'will_retry' })
      queue.set(key, { notification: n, attempts, nextAttemptAt: clock() + retryPendingAfterMs })
      log.warn(
        `could not deliver ${about(n)} yet, retrying in ${retryPendingAfterMs} ms: ${result.error.message}`,
      )
      return
    } else if (result.error?.retriable) {
      // Stopping, or superseded: the row stays pending; a restart or the newer notification takes over.
      await record(n, 'pending', attempts, result.error.message)
      metrics.notificationsFailed.inc({ receiver: n.receiver, action: n.action, outcome: 'will_retry' })
      return
    } else {
      await record(n, 'failed', attempts, result.error?.message ?? 'unknown error')
      metrics.notificationsFailed.inc({ receiver: n.receiver, action: n.action, outcome: 'rejected' })
      log.error(`${about(n)} was rejected and will not be retried`, result.error)
    }
    if (latest.get(key) === n) latest.delete(key)
  }

  /** Deliver `n` after whatever is already being delivered for its key. */
  function deliver(n: Notification, attemptsBefore: number, recordPending: boolean): Promise<void> {
    const key = keyOf(n)
    // Chained runs never reject: an unexpected error is logged here, once, and the chain goes on.
    const run = (chains.get(key) ?? Promise.resolve())
      .then(() => deliverOnce(n, attemptsBefore, recordPending))
      .catch((error: unknown) => log.error(`delivering ${about(n)} failed unexpectedly`, error))
    chains.set(key, run)
    void run.then(() => {
      if (chains.get(key) === run) chains.delete(key)
    })
    return run
  }

  function launch(planned: Notification[], now: number): Promise<void>[] {
    const runs: Promise<void>[] = []
    for (const n of planned) {
      const key = keyOf(n)
      latest.set(key, n)
      queue.delete(key)
      runs.push(deliver(n, 0, true))
    }
    for (const [key, queued] of [...queue]) {
      if (queued.nextAttemptAt > now) continue
      queue.delete(key)
      runs.push(deliver(queued.notification, queued.attempts, false))
    }
    return runs
  }

  function parsePayload(record: NotificationRecord): Notification | undefined {
    try {
      return JSON.parse(record.payload) as Notification
    } catch (error) {
      log.error(
        `ledger row for ${record.dedup_key.slice(0, 12)} to ${record.receiver} has an unreadable payload`,
        error,
      )
      return undefined
    }
  }

  async function load(): Promise<NotifiedBefore[]> {
    const newest = new Map<string, NotificationRecord>()
    for (const record of await ledger.latest()) {
      const key = keyOf(record)
      const seen = newest.get(key)
      if (!seen || record.recorded_at > seen.recorded_at) newest.set(key, record)
    }
    const notifiedBefore: NotifiedBefore[] = []
    for (const [key, record] of newest) {
      // A failed row means nobody was told: let the planner notify again if the source re-sends.
      if (record.status === 'failed') continue
      const notification = parsePayload(record)
      if (!notification) continue
      notifiedBefore.push({ notification, at: record.recorded_at })
      if (record.status === 'pending') {
        latest.set(key, notification)
        queue.set(key, { notification, attempts: record.attempts, nextAttemptAt: clock() })
      }
    }
    if (queue.size > 0)
      log.info(`${queue.size} notification(s) were pending before the restart; delivering them`)
    return notifiedBefore
  }

  async function tick(): Promise<void> {
    if (!planner || state !== 'running') return
    const now = clock()
    await Promise.all(launch(planner.due(now), now))
  }

  return {
    async start() {
      if (state === 'running') return
      if (state === 'stopped') throw new AlertRouterNotRunningError('stopped')
      planner = createNotificationPlanner({ routing, notifiedBefore: await load() })
      state = 'running'
      if (tickIntervalMs > 0) {
        timer = setInterval(() => {
          tick().catch((error: unknown) => log.error('alert router tick failed', error))
        }, tickIntervalMs)
        timer.unref()
      }
    },

    async receive(alerts) {
      if (!planner || state !== 'running')
        throw new AlertRouterNotRunningError(state === 'new' ? 'not started' : 'stopped')
      for (const alert of alerts)
        metrics.alertsReceived.inc({ severity: alert.labels.severity, status: alert.status })
      planner.receive(alerts, clock())
    },

    tick,

    async stop() {
      if (state !== 'running' || !planner) {
        state = 'stopped'
        return
      }
      if (timer) clearInterval(timer)
      const now = clock()
      // Hand over what was received: a finding in its group_wait is never sent again by its source.
      const planned = planner.due(now, { flushAll: true })
      for (const n of planned) {
        latest.set(keyOf(n), n)
        queue.delete(keyOf(n))
      }
      const runs = planned.map((n) => deliver(n, 0, true))
      state = 'stopped'
      await Promise.all([...runs, ...chains.values()])
    },

    incidents(tenant, limit) {
      return ledger.incidents({ tenant, limit })
    },
  }
}
