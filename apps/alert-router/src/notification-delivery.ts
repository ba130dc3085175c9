import type { Notification } from '@palisade/alerting'
import type { NotificationLedger, NotificationRecord } from '@palisade/clickhouse'
import type { AlertRouterMetrics } from './alert-router-metrics.ts'
import { ReceiverNotConfiguredError } from './errors.ts'
import type { DeliveryResult, Receiver } from './receivers/receiver.ts'

/** Where the router reports what it does (the shape of the apps' console log). */
export interface AlertRouterLog {
  info(message: string): void
  warn(message: string): void
  error(message: string, error?: unknown): void
}

/** A notification to deliver, with the delivery attempts it already had. */
export interface QueuedNotification {
  notification: Notification
  attempts: number
  nextAttemptAt: number
}

/**
 * The router's last stages, Alertmanager's retry → record: record planned notifications as
 * pending in the ledger (one insert per batch), deliver each after whatever is in flight for its
 * key (a resolve never overtakes its trigger), record the outcome, and keep a retriable failure
 * queued until it is delivered or superseded by a newer notification for the same key.
 */
export interface NotificationDelivery {
  /**
   * Record `planned` as pending, then start delivering it (superseding older notifications of the
   * same keys). Resolves once the pending rows are recorded, with the deliveries' promise.
   */
  submit(planned: Notification[]): Promise<{ delivered: Promise<void> }>
  /** Queue notifications the ledger says were pending before a restart; `retryDue` delivers them. */
  resume(pending: QueuedNotification[]): void
  /** Deliver the queued notifications whose retry time came. */
  retryDue(now: number): Promise<void>
  /** From now on a retriable failure stays pending in the ledger instead of being queued. */
  stopRetrying(): void
  /** Wait for every delivery in flight. */
  drain(): Promise<void>
  /**
   * Stop recording outcomes: deliveries still in flight keep their pending rows, so the next start
   * delivers them again (PagerDuty deduplicates a repeat by its dedup_key).
   */
  abandon(): void
  /** Deliveries in flight. */
  inFlight(): number
  /** Notifications waiting for a later round. */
  queued(): number
}

function keyOf(n: Pick<Notification, 'tenant' | 'dedup_key' | 'receiver'>): string {
  return `${n.tenant}\n${n.dedup_key}\n${n.receiver}`
}

function about(n: Notification): string {
  return `${n.action} ${n.alertname} for ${n.tenant} to ${n.receiver} (dedup ${n.dedup_key.slice(0, 12)})`
}

/** Create the delivery stages over a ledger and the receivers by name. */
export function createNotificationDelivery(deps: {
  receivers: ReadonlyMap<string, Receiver>
  ledger: NotificationLedger
  clock: () => number
  log: AlertRouterLog
  metrics: AlertRouterMetrics
  /** After a delivery round failed with a retriable error, try again this much later, ms. */
  retryPendingAfterMs: number
  /** Delivery outcomes recorded within this long of the first go in one ledger insert, ms (default 200). */
  outcomeBatchMs?: number
}): NotificationDelivery {
  const { receivers, ledger, clock, log, metrics, retryPendingAfterMs } = deps
  const outcomeBatchMs = deps.outcomeBatchMs ?? 200
  let retrying = true
  let abandoned = false
  /** The newest notification per key: an older one still being retried is superseded by it. */
  const latest = new Map<string, Notification>()
  const queue = new Map<string, QueuedNotification>()
  const chains = new Map<string, Promise<void>>()

  /** Each notification's JSON, written once per state change: encoded once. */
  const payloads = new WeakMap<Notification, string>()
  function payloadOf(n: Notification): string {
    let payload = payloads.get(n)
    if (payload === undefined) {
      payload = JSON.stringify(n)
      payloads.set(n, payload)
    }
    return payload
  }

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
      payload: payloadOf(n),
      attempts,
      detail,
      recorded_at: clock(),
    }
  }

  async function record(rows: NotificationRecord[], what: string): Promise<void> {
    try {
      await ledger.record(rows)
    } catch (error) {
      // Delivering without a ledger row risks a repeat after a restart; not delivering risks a lost
      // page. PagerDuty deduplicates by dedup_key, so the repeat is the lesser harm.
      log.error(`could not record ${what} in the notification ledger`, error)
    }
  }

  // Outcomes recorded within `outcomeBatchMs` of the first go in one insert: the deliveries of a
  // flush finish over many turns of the event loop, and each insert is a part the engine writes and
  // later merges (about 13 ms of CPU each in bench:router, whatever its size), so a flush of
  // thousands of groups is a few inserts, not one per turn. Each caller still waits for its row to
  // be stored, so the next notification of the same key waits that much longer to start.
  let batch: { rows: NotificationRecord[]; written: Promise<void> } | undefined
  function recordSoon(rowToWrite: NotificationRecord): Promise<void> {
    if (!batch) {
      const current: { rows: NotificationRecord[]; written: Promise<void> } = {
        rows: [],
        written: Promise.resolve(),
      }
      current.written = new Promise<void>((resolve) => setTimeout(resolve, outcomeBatchMs)).then(() => {
        batch = undefined
        return record(current.rows, `${current.rows.length} notification outcome(s)`)
      })
      batch = current
    }
    batch.rows.push(rowToWrite)
    return batch.written
  }

  const recordOne = (n: Notification, status: NotificationRecord['status'], attempts: number, detail = '') =>
    recordSoon(row(n, status, attempts, detail))

  async function deliverOnce(n: Notification, attemptsBefore: number, recordPending: boolean): Promise<void> {
    const key = keyOf(n)
    if (latest.get(key) !== n || abandoned) return
    if (recordPending) await recordOne(n, 'pending', attemptsBefore)
    const receiver = receivers.get(n.receiver)
    const started = performance.now()
    const result: DeliveryResult = receiver
      ? await receiver.send(n)
      : { ok: false, attempts: 0, error: new ReceiverNotConfiguredError([n.receiver]) }
    if (receiver) {
      metrics.deliverySeconds.observe(
        { receiver: n.receiver, outcome: result.ok ? 'delivered' : 'failed' },
        (performance.now() - started) / 1000,
      )
    }
    if (abandoned) return
    const attempts = attemptsBefore + result.attempts
    if (result.ok) {
      await recordOne(n, 'delivered', attempts)
      metrics.notificationsSent.inc({ receiver: n.receiver, action: n.action })
      log.info(`delivered ${about(n)} after ${attempts} attempt(s)`)
    } else if (result.error?.retriable) {
      await recordOne(n, 'pending', attempts, result.error.message)
      metrics.notificationsFailed.inc({ receiver: n.receiver, action: n.action, outcome: 'will_retry' })
      // Stopping, or superseded: the row stays pending; a restart or the newer notification takes over.
      if (!retrying || latest.get(key) !== n) return
      queue.set(key, { notification: n, attempts, nextAttemptAt: clock() + retryPendingAfterMs })
      log.warn(
        `could not deliver ${about(n)} yet, retrying in ${retryPendingAfterMs} ms: ${result.error.message}`,
      )
      return
    } else {
      await recordOne(n, 'failed', attempts, result.error?.message ?? 'unknown error')
      metrics.notificationsFailed.inc({ receiver: n.receiver, action: n.action, outcome: 'rejected' })
      log.error(`${about(n)} was rejected and will not be retried`, result.error)
    }
    if (latest.get(key) === n) latest.delete(key)
  }

  /** Deliver `n` after whatever is already being delivered for its key. */
  function deliver(n: Notification, attemptsBefore: number, recordPending = false): Promise<void> {
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

  return {
    async submit(planned) {
      if (planned.length === 0) return { delivered: Promise.resolve() }
      // A key with a delivery in flight records its pending row in turn, after that delivery's
      // outcome, so that the ledger's newest row per key stays the newest notification.
      const busy = new Set(planned.filter((n) => chains.has(keyOf(n))))
      for (const n of planned) {
        latest.set(keyOf(n), n)
        queue.delete(keyOf(n))
      }
      const now = clock()
      const queued = (n: Notification) => n.not_before !== undefined && n.not_before > now
      const free = planned.filter((n) => !busy.has(n))
      if (free.length > 0)
        await record(
          free.map((n) =>
            row(
              n,
              'pending',
              0,
              queued(n) ? `queued until ${new Date(n.not_before ?? 0).toISOString()}` : '',
            ),
          ),
          `${free.length} planned notification(s) as pending`,
        )
      // Held back (a resolve during a maintenance window): pending in the ledger, sent by retryDue.
      for (const n of planned.filter(queued)) {
        queue.set(keyOf(n), { notification: n, attempts: 0, nextAttemptAt: n.not_before ?? now })
        log.info(
          `queued ${about(n)} until ${new Date(n.not_before ?? now).toISOString()} (maintenance window)`,
        )
      }
      const sendNow = planned.filter((n) => !queued(n))
      return { delivered: Promise.all(sendNow.map((n) => deliver(n, 0, busy.has(n)))).then(() => {}) }
    },

    resume(pending) {
      for (const queued of pending) {
        latest.set(keyOf(queued.notification), queued.notification)
        queue.set(keyOf(queued.notification), queued)
      }
    },

    async retryDue(now) {
      const runs: Promise<void>[] = []
      for (const [key, queued] of [...queue]) {
        if (queued.nextAttemptAt > now) continue
        queue.delete(key)
        runs.push(deliver(queued.notification, queued.attempts))
      }
      await Promise.all(runs)
    },

    stopRetrying() {
      retrying = false
    },

    async drain() {
      while (chains.size > 0) await Promise.all([...chains.values()])
    },

    abandon() {
      abandoned = true
    },

    inFlight: () => chains.size,

    queued: () => queue.size,
  }
}
