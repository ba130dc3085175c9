import type { ClickHouseClient } from '@clickhouse/client'
import { InsertFailedError } from './errors.ts'

/** One notification a rule caused, in the event time of its news: a row of `alert_noise_budget` (sql/0015). */
export interface NoiseBudgetSpendRecord {
  tenant: string
  rule: string
  /** Event time, epoch ms. */
  at: number
  /** The incident (dedup key) it was for. */
  incident: string
}

/**
 * The alert router's noise budget, persisted beside its ledger: what each rule spent, so that a
 * restart does not hand a flooding rule a fresh budget.
 */
export interface NoiseBudgetLog {
  /** Append spends; resolves once ClickHouse acknowledged them. */
  record(spends: readonly NoiseBudgetSpendRecord[], recordedAt: number): Promise<void>
  /** Per (tenant, rule), the spends within an hour of event time of its newest, each once. */
  recent(): Promise<NoiseBudgetSpendRecord[]>
}

/** The noise budget log over `alert_noise_budget`. */
export function createNoiseBudgetLog(client: ClickHouseClient): NoiseBudgetLog {
  return {
    async record(spends, recordedAt) {
      if (spends.length === 0) return
      try {
        await client.insert({
          table: 'alert_noise_budget',
          values: spends.map((spend) => ({
            tenant: spend.tenant,
            rule: spend.rule,
            spent_at: spend.at,
            incident: spend.incident,
            recorded_at: recordedAt,
          })),
          format: 'JSONEachRow',
        })
      } catch (error) {
        throw new InsertFailedError('alert_noise_budget', error)
      }
    },

    async recent() {
      // Routers sharing the store record the same spend alike: DISTINCT takes it once.
      const result = await client.query({
        query: `SELECT s.tenant AS tenant, s.rule AS rule, toUnixTimestamp64Milli(s.spent_at) AS at, s.incident AS incident
                FROM (SELECT DISTINCT tenant, rule, spent_at, incident FROM alert_noise_budget) AS s
                INNER JOIN (SELECT tenant, rule, max(spent_at) AS newest FROM alert_noise_budget GROUP BY tenant, rule) AS m
                  ON s.tenant = m.tenant AND s.rule = m.rule
                WHERE s.spent_at > m.newest - toIntervalHour(1)
                ORDER BY at`,
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
      const rows = await result.json<NoiseBudgetSpendRecord>()
      return rows.map((row) => ({ ...row, at: Number(row.at) }))
    },
  }
}
