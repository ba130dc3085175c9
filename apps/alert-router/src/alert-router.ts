import {
  createNotificationPlanner,
  type HeldAlert,
  type HeldGroup,
  type Muter,
  type NoiseBudgetSpend,
  type Notification,
  type NotificationPlanner,
  type RoutingConfig,
  watchdogAlert,
} from '@palisade/alerting'
import type { IncidentSummary, NoiseBudgetLog, NotificationLedger } from '@palisade/clickhouse'
import type { Alert } from '@palisade/schema'
import { Registry } from 'prom-client'
import { createAlertRouterMetrics } from './alert-router-metrics.ts'
import { AlertRouterNotRunningError, ReceiverNotConfiguredError } from './errors.ts'
import type { IncidentActionFeed } from './incident-action-feed.ts'
import { restoreFromLedger } from './ledger-restore.ts'
import { type AlertRouterLog, createNotificationDelivery } from './notification-delivery.ts'
import type { Receiver } from './receivers/receiver.ts'

export type { AlertRouterLog } from './notification-delivery.ts'

/** Options for {@link createAlertRouter}. */
export interface AlertRouterOptions {
  routing: RoutingConfig
  /** A receiver for every non-null receiver of `routing`, by name (see `createReceivers`). */
  receivers: ReadonlyMap<string, Receiver>
  ledger: NotificationLedger
  /**
   * Where the noise budget's spends are kept, so that a restart does not hand a flooding rule a
   * fresh budget (default none: the budget starts empty at each start).
   */
  noiseBudgetLog?: NoiseBudgetLog
  /** Epoch ms (default `Date.now`); tests drive group_wait and repeat_interval through it. */
  clock?: () => number
  log: AlertRouterLog
  /** Registry for the router's metrics (default a private one); one router per registry. */
  metrics?: Registry
  /** Period of the timer `start()` sets to call `tick()`, ms (default 1,000; 0 = no timer). */
  tickIntervalMs?: number
  /** After a delivery round failed with a retriable error, try again this much later, ms (default 60,000). */
  retryPendingAfterMs?: number
  /**
   * Work done between two yields to the event loop: alerts taken in, groups flushed (default 1,000
   * and 100). In the all-in-one the router shares the event loop with ingestion, the API and
   * /healthz, so a flood is worked through in slices, never in one stretch.
   */
  slice?: { alerts?: number; groups?: number }
  /**
   * How long `stop()` waits for deliveries in flight, ms (default 5,000), so that SIGTERM is
   * honoured with a receiver down; what is left stays pending in the ledger for the next start.
   */
  stopGraceMs?: number
  /** Muters after the routing file's silences (the Alertmanager API's silences; default none). */
  muters?: readonly Muter[]
  /** Where people's actions on incidents come from (default none: nobody acts through this router). */
  actions?: IncidentActionFeed
  /**
   * Send the always-firing `Watchdog` alert for this tenant, re-sent every `everyMs` (default
   * 60,000) so that it never goes stale; a route to a dead-man's switch makes it a heartbeat
   * (default none).
   */
  heartbeat?: { tenant: string; everyMs?: number }
  /**
   * Cluster mode, as Alertmanager's: every router takes in every alert and plans alike; the one at
   * `position` 0 delivers at once, the one at position p waits p × `waitMs` and delivers only what
   * no router sharing the ledger delivered meanwhile (default position 0: deliver at once).
   */
  peer?: { position: number; waitMs: number }
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
  /** The alerts and groups held now for a tenant (none before `start()`). */
  held(tenant: string): { alerts: HeldAlert[]; groups: HeldGroup[] }
}

/** Let timers, I/O and signal handlers run before the next slice of work. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Create the router, a short pipeline of named stages: restore (the ledger, at start), accept
 * (alerts into the planner, in slices), plan (the planner's due groups, in slices: mute, noise
 * budget, decide), deliver (record pending, send, record the outcome, retry). Deliveries to one
 * (tenant, dedup key, receiver) run one after another, so a resolve never overtakes its trigger.
 */
export function createAlertRouter(options: AlertRouterOptions): AlertRouter {
  const { routing, receivers, ledger, log } = options
  const clock = options.clock ?? Date.now
  const tickIntervalMs = options.tickIntervalMs ?? 1000
  const alertsPerSlice = options.slice?.alerts ?? 1000
  const groupsPerSlice = options.slice?.groups ?? 100
  const missing = routing.receivers
    .filter((r) => r.kind !== 'null' && !receivers.has(r.name))
    .map((r) => r.name)
  if (missing.length > 0) throw new ReceiverNotConfiguredError(missing)

  let planner: NotificationPlanner | undefined
  let state: 'new' | 'running' | 'stopped' = 'new'
  let timer: NodeJS.Timeout | undefined
  /** The tick in progress: the timer skips a beat rather than run two plans at once. */
  let ticking: Promise<void> | undefined
  /** Its planning part: done once every slice it planned is recorded as pending. */
  let planning: Promise<unknown> | undefined
  const stopGraceMs = options.stopGraceMs ?? 5000
  const metrics = createAlertRouterMetrics(options.metrics ?? new Registry(), {
    active: () => planner?.activeIncidents() ?? 0,
    pending: () => delivery.queued(),
    budget: () => planner?.budgetUsage() ?? [],
  })
  /** Spends taken from the planner and not yet stored (kept for the next round when the store fails). */
  const unsavedSpends: NoiseBudgetSpend[] = []
  /** Stage persist budget: what the rules spent this round, beside the ledger. */
  async function persistBudget(): Promise<void> {
    if (!planner || !options.noiseBudgetLog) return
    unsavedSpends.push(...planner.takeBudgetSpends())
    if (unsavedSpends.length === 0) return
    const batch = unsavedSpends.splice(0)
    try {
      await options.noiseBudgetLog.record(batch, clock())
    } catch (error) {
      unsavedSpends.unshift(...batch)
      log.error('noise budget spends not stored; retried next round', error)
    }
  }
  const delivery = createNotificationDelivery({
    receivers,
    ledger,
    clock,
    log,
    metrics,
    retryPendingAfterMs: options.retryPendingAfterMs ?? 60_000,
  })

  const position = options.peer?.position ?? 0
  const standbyMs = position * (options.peer?.waitMs ?? 0)

  /**
   * Stage hand-over: what this router planned, delivered by it at once (position 0) or, on a
   * standby, only when no router sharing the ledger delivered it during this router's wait.
   */
  const standbys = new Set<Promise<void>>()
  async function handOver(planned: Notification[]): Promise<{ delivered: Promise<void> }> {
    if (planned.length === 0) return { delivered: Promise.resolve() }
    if (standbyMs === 0) return delivery.submit(planned)
    const plannedAt = clock()
    // Not part of the tick: the standby's wait must not hold up its planning.
    const standby = new Promise<void>((resolve) => {
      setTimeout(() => {
        void (async () => {
          const left: Notification[] = []
          for (const n of planned) {
            // The ledger is the cluster's notification log: a peer's delivered row settles it.
            const done = await ledger.deliveredSince(n, plannedAt - standbyMs).catch((error: unknown) => {
              log.error('could not read the ledger; delivering from the standby', error)
              return false
            })
            if (!done) left.push(n)
          }
          if (left.length > 0) {
            log.warn(
              `${left.length} notification(s) not delivered by a peer within ${standbyMs} ms: delivering them`,
            )
            await (await delivery.submit(left)).delivered
          }
        })()
          .catch((error: unknown) => log.error('standby hand-over failed', error))
          .finally(resolve)
      }, standbyMs).unref()
    })
    standbys.add(standby)
    void standby.then(() => standbys.delete(standby))
    return { delivered: Promise.resolve() }
  }

  function counted(planned: Notification[]): Notification[] {
    for (const n of planned)
      metrics.notificationsPlanned.inc({ receiver: n.receiver, reason: n.reason ?? n.action })
    return planned
  }

  /** Stage accept: the planner takes alerts in slices, yielding between them. */
  async function accept(alerts: Alert[]): Promise<void> {
    for (let start = 0; start < alerts.length; start += alertsPerSlice) {
      if (start > 0) await yieldToEventLoop()
      if (!planner || state !== 'running') throw new AlertRouterNotRunningError('stopped')
      planner.receive(alerts.slice(start, start + alertsPerSlice), clock())
    }
  }

  /**
   * Stages plan → deliver: due groups a slice at a time, each slice recorded as pending and handed
   * to delivery before the next; resolves with the deliveries it started.
   */
  let heartbeatAt = Number.NEGATIVE_INFINITY
  const heartbeatSince = clock()

  async function plan(): Promise<Promise<void>[]> {
    const deliveries: Promise<void>[] = [delivery.retryDue(clock())]
    // Stage heartbeat: the Watchdog alert, taken in like any alert, so it goes all the way through.
    if (planner && options.heartbeat && clock() - heartbeatAt >= (options.heartbeat.everyMs ?? 60_000)) {
      heartbeatAt = clock()
      planner.receive([watchdogAlert(options.heartbeat.tenant, heartbeatSince)], heartbeatAt)
    }
    // Stage act: people's actions first, so that an acknowledged incident does not repeat this round.
    if (planner && options.actions) {
      const acted = await options.actions.poll(planner, clock())
      if (acted.length > 0) deliveries.push((await handOver(counted(acted))).delivered)
    }
    while (planner && state === 'running') {
      const now = clock()
      deliveries.push((await handOver(counted(planner.due(now, { maxGroups: groupsPerSlice })))).delivered)
      if (!planner.hasDue(now)) break
      await yieldToEventLoop()
    }
    await persistBudget()
    return deliveries
  }

  function tick(): Promise<void> {
    if (!planner || state !== 'running') return Promise.resolve()
    if (!ticking) {
      const planned = plan()
      planning = planned
      ticking = planned
        .then((deliveries) => Promise.all(deliveries))
        .then(() => undefined)
        .finally(() => {
          ticking = undefined
          planning = undefined
        })
    }
    return ticking
  }

  /** Wait for deliveries in flight, at most `stopGraceMs`; whether they all finished. */
  async function drainWithin(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), stopGraceMs)
    })
    try {
      const done = Promise.all([...standbys]).then(() => delivery.drain())
      return await Promise.race([done.then(() => true as const), late])
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    async start() {
      if (state === 'running') return
      if (state === 'stopped') throw new AlertRouterNotRunningError('stopped')
      const restored = await restoreFromLedger(ledger, log, clock())
      delivery.resume(restored.pending)
      const budgetSpentBefore = (await options.noiseBudgetLog?.recent()) ?? []
      planner = createNotificationPlanner({
        routing,
        notifiedBefore: restored.notifiedBefore,
        budgetSpentBefore,
        ...(options.muters ? { muters: options.muters } : {}),
      })
      await options.actions?.start(planner, clock())
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
      // Counted per (severity, status) first: a counter's inc hashes its labels, and a batch of a
      // hundred alerts has one or two such pairs.
      const counts = new Map<string, { severity: string; status: string; n: number }>()
      for (const alert of alerts) {
        const key = `${alert.labels.severity}\n${alert.status}`
        const count = counts.get(key)
        if (count) count.n++
        else counts.set(key, { severity: alert.labels.severity, status: alert.status, n: 1 })
      }
      for (const { severity, status, n } of counts.values())
        metrics.alertsReceived.inc({ severity, status }, n)
      await accept(alerts)
    },

    tick,

    async stop() {
      if (state !== 'running' || !planner) {
        state = 'stopped'
        return
      }
      if (timer) clearInterval(timer)
      state = 'stopped'
      // A tick stops at its next slice; what it planned is recorded as pending before we go on.
      await planning?.catch(() => undefined)
      delivery.stopRetrying()
      // Hand over what was received: a finding in its group_wait is never sent again by its source.
      await handOver(counted(planner.due(clock(), { flushAll: true })))
      await persistBudget()
      if (!(await drainWithin())) {
        const left = delivery.inFlight()
        delivery.abandon()
        log.warn(
          `${left} notification(s) still being delivered after ${stopGraceMs} ms: left pending in the ledger for the next start`,
        )
      }
    },

    incidents(tenant, limit) {
      return ledger.incidents({ tenant, limit })
    },

    held(tenant) {
      return planner?.held(tenant, clock()) ?? { alerts: [], groups: [] }
    },
  }
}
