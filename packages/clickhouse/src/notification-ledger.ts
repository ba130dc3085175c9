import type { ClickHouseClient } from '@clickhouse/client'
import { InsertFailedError } from './errors.ts'

/** One state change of one notification: a row of `alert_notifications` (sql/0004). */
export interface NotificationRecord {
  tenant: string
  dedup_key: string
  receiver: string
  /** `acknowledge` carries a person's acknowledgement to a receiver that has the notion (PagerDuty). */
  action: 'trigger' | 'acknowledge' | 'resolve'
  /** `pending` until the receiver accepted it (`delivered`) or refused it for good (`failed`). */
  status: 'pending' | 'delivered' | 'failed'
  alertname: string
  severity: string
  summary: string
  /** The incident's group labels. */
  labels: Record<string, string>
  /** The notification itself (JSON), so that a pending one can be delivered after a restart. */
  payload: string
  /** Delivery attempts so far (0 while pending for the first time). */
  attempts: number
  /** Why it failed or is still pending (the receiver's answer); empty when delivered. */
  detail: string
  /** Epoch ms; the ledger moves it forward by a millisecond when needed so rows keep their order. */
  recorded_at: number
}

/** An incident as the dashboard lists it: the newest state of one dedup key. */
export interface IncidentSummary {
  dedup_key: string
  alertname: string
  severity: string
  summary: string
  labels: Record<string, string>
  /** Newest action and its status: `trigger`+`delivered` is an open incident someone was told about. */
  action: 'trigger' | 'acknowledge' | 'resolve'
  status: 'pending' | 'delivered' | 'failed'
  delivered: boolean
  receivers: string[]
  /** First and newest row, epoch ms. */
  first_recorded_at: number
  last_recorded_at: number
}

/** Filters for {@link NotificationLedger.incidents}. */
export interface IncidentQuery {
  tenant: string
  /** At most this many, newest first (default 100, at most 1,000). */
  limit?: number
}

/**
 * The alert router's durable memory: every state change of a notification, append-only, so that a
 * restart neither repeats a delivered page nor loses a pending one.
 */
export interface NotificationLedger {
  /** Append rows; resolves once ClickHouse acknowledged them. */
  record(records: NotificationRecord[]): Promise<void>
  /** The newest row per (tenant, dedup_key, receiver, action), for start-up. */
  latest(): Promise<NotificationRecord[]>
  /** Recent incidents of a tenant, newest first. */
  incidents(query: IncidentQuery): Promise<IncidentSummary[]>
  /** One incident's newest state, by its dedup key; undefined when the tenant has no such incident. */
  incident(tenant: string, dedupKey: string): Promise<IncidentSummary | undefined>
  /**
   * Whether a notification of this key and action was delivered at or after `since` (epoch ms), by
   * any router sharing the ledger: a standby router checks it before delivering.
   */
  deliveredSince(
    key: Pick<NotificationRecord, 'tenant' | 'dedup_key' | 'receiver' | 'action'>,
    since: number,
  ): Promise<boolean>
}

// Among rows recorded in the same millisecond, a final state (delivered, failed) beats pending.
// Columns are qualified (`n.`) because ClickHouse would otherwise read them as the same-named aliases.
const NEWEST = `(n.recorded_at, n.status != 'pending')`

/** The notification ledger over `alert_notifications`. */
export function createNotificationLedger(client: ClickHouseClient): NotificationLedger {
  let lastRecordedAt = 0
  return {
    async record(records) {
      if (records.length === 0) return
      // Strictly increasing times keep "newest row" well defined for argMax, here and in the dashboard.
      const values = records.map((record) => {
        lastRecordedAt = Math.max(record.recorded_at, lastRecordedAt + 1)
        return { ...record, recorded_at: lastRecordedAt }
      })
      try {
        await client.insert({ table: 'alert_notifications', values, format: 'JSONEachRow' })
      } catch (error) {
        throw new InsertFailedError('alert_notifications', error)
      }
    },

    async latest() {
      const result = await client.query({
        query: `SELECT tenant, dedup_key, receiver, action,
                       argMax(n.status, ${NEWEST}) AS status, argMax(n.alertname, ${NEWEST}) AS alertname,
                       argMax(n.severity, ${NEWEST}) AS severity, argMax(n.summary, ${NEWEST}) AS summary,
                       argMax(n.labels, ${NEWEST}) AS labels, argMax(n.payload, ${NEWEST}) AS payload,
                       argMax(n.attempts, ${NEWEST}) AS attempts, argMax(n.detail, ${NEWEST}) AS detail,
                       toUnixTimestamp64Milli(max(n.recorded_at)) AS recorded_ms
                FROM alert_notifications AS n
                GROUP BY tenant, dedup_key, receiver, action
                ORDER BY recorded_ms`,
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
      const rows = await result.json<Omit<NotificationRecord, 'recorded_at'> & { recorded_ms: number }>()
      return rows.map(({ recorded_ms, ...row }) => {
        lastRecordedAt = Math.max(lastRecordedAt, Number(recorded_ms))
        return { ...row, attempts: Number(row.attempts), recorded_at: Number(recorded_ms) }
      })
    },

    async incidents(query) {
      return summaries({ tenant: query.tenant, limit: Math.min(Math.max(query.limit ?? 100, 1), 1000) })
    },

    async incident(tenant, dedupKey) {
      return (await summaries({ tenant, key: dedupKey, limit: 1 }))[0]
    },

    async deliveredSince(key, since) {
      const result = await client.query({
        query: `SELECT count() AS n FROM alert_notifications
                WHERE tenant = {tenant:String} AND dedup_key = {key:String} AND receiver = {receiver:String}
                  AND action = {action:String} AND status = 'delivered'
                  AND recorded_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')`,
        query_params: {
          tenant: key.tenant,
          key: key.dedup_key,
          receiver: key.receiver,
          action: key.action,
          since,
        },
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
      const [row] = await result.json<{ n: number }>()
      return Number(row?.n ?? 0) > 0
    },
  }

  async function summaries(query: {
    tenant: string
    key?: string
    limit: number
  }): Promise<IncidentSummary[]> {
    const { limit } = query
    const result = await client.query({
      query: `SELECT dedup_key,
                       argMax(n.alertname, ${NEWEST}) AS alertname, argMax(n.severity, ${NEWEST}) AS severity,
                       argMax(n.summary, ${NEWEST}) AS summary, argMax(n.labels, ${NEWEST}) AS labels,
                       argMax(n.action, ${NEWEST}) AS action, argMax(n.status, ${NEWEST}) AS status,
                       groupUniqArray(n.receiver) AS receivers,
                       toUnixTimestamp64Milli(min(n.recorded_at)) AS first_recorded_at,
                       toUnixTimestamp64Milli(max(n.recorded_at)) AS last_recorded_at
                FROM alert_notifications AS n
                WHERE tenant = {tenant:String} ${query.key === undefined ? '' : 'AND dedup_key = {key:String}'}
                GROUP BY dedup_key
                ORDER BY last_recorded_at DESC, dedup_key
                LIMIT {limit:UInt32}`,
      query_params: { tenant: query.tenant, limit, ...(query.key === undefined ? {} : { key: query.key }) },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
    const rows = await result.json<Omit<IncidentSummary, 'delivered'>>()
    return rows.map((row) => ({
      ...row,
      receivers: [...row.receivers].sort(),
      delivered: row.status === 'delivered',
      first_recorded_at: Number(row.first_recorded_at),
      last_recorded_at: Number(row.last_recorded_at),
    }))
  }
}
