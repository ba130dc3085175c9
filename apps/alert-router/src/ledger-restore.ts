import type { Notification, NotifiedBefore } from '@palisade/alerting'
import type { NotificationLedger, NotificationRecord } from '@palisade/clickhouse'
import type { AlertRouterLog, QueuedNotification } from './notification-delivery.ts'

/** What the ledger says about the time before a restart. */
export interface RestoredLedger {
  /** The newest notification per (tenant, dedup_key, receiver), for the planner (failed ones left out). */
  notifiedBefore: NotifiedBefore[]
  /** Those still pending: the delivery stage owes them a delivery. */
  pending: QueuedNotification[]
}

function keyOf(n: Pick<NotificationRecord, 'tenant' | 'dedup_key' | 'receiver' | 'action'>): string {
  // An acknowledgement is kept apart: it must not hide the trigger it acknowledged from the planner.
  const ack = n.action === 'acknowledge' ? '\nack' : ''
  return `${n.tenant}\n${n.dedup_key}\n${n.receiver}${ack}`
}

/**
 * The router's first stage at start-up: read the ledger's newest row per key, so that a restart
 * neither repeats what was delivered nor loses what was pending. A row whose payload cannot be read
 * is logged and skipped rather than stop the router.
 */
export async function restoreFromLedger(
  ledger: NotificationLedger,
  log: AlertRouterLog,
  now: number,
): Promise<RestoredLedger> {
  const newest = new Map<string, NotificationRecord>()
  for (const record of await ledger.latest()) {
    const key = keyOf(record)
    const seen = newest.get(key)
    if (!seen || record.recorded_at > seen.recorded_at) newest.set(key, record)
  }
  const restored: RestoredLedger = { notifiedBefore: [], pending: [] }
  for (const record of newest.values()) {
    // A failed row means nobody was told: let the planner notify again if the source re-sends.
    if (record.status === 'failed') continue
    let notification: Notification
    try {
      notification = JSON.parse(record.payload) as Notification
    } catch (error) {
      log.error(
        `ledger row for ${record.dedup_key.slice(0, 12)} to ${record.receiver} has an unreadable payload`,
        error,
      )
      continue
    }
    if (record.action !== 'acknowledge')
      restored.notifiedBefore.push({ notification, at: record.recorded_at })
    if (record.status === 'pending')
      restored.pending.push({
        notification,
        attempts: record.attempts,
        // A resolve queued for the end of a maintenance window still waits for it.
        nextAttemptAt: Math.max(now, notification.not_before ?? 0),
      })
  }
  if (restored.pending.length > 0)
    log.info(`${restored.pending.length} notification(s) were pending before the restart; delivering them`)
  return restored
}
