import type { ClickHouseClient } from '@clickhouse/client'
import { createSerialQueue } from '@palisade/runtime'
import type { Finding, Severity } from '@palisade/schema'
import { InsertFailedError } from './errors.ts'

/** Filters for listing findings; all optional. */
export interface FindingQuery {
  tenant: string
  /** Event-time range, epoch ms. */
  from?: number
  to?: number
  severity?: Severity
  rule?: string
  /** At most this many (default 200, at most 5,000). */
  limit?: number
  /**
   * `time` (default): newest first. `severity`: pages first, then tickets, then info, newest first
   * within each, so that a limited list (the on-call panel's 50) keeps the pages behind a burst of info.
   */
  order?: 'time' | 'severity'
}

/** Stores findings once per id and lists them for the API and dashboards. */
export interface FindingStore {
  /** Insert the findings not stored yet; returns those that were new. */
  write(findings: Finding[]): Promise<Finding[]>
  list(query: FindingQuery): Promise<Finding[]>
}

interface FindingRow extends Omit<Finding, 'entities' | 'evidence'> {
  entities: string
  evidence: string
}

export function createFindingStore(client: ClickHouseClient): FindingStore {
  const serial = createSerialQueue()
  return {
    write(findings) {
      if (findings.length === 0) return Promise.resolve([])
      return serial(async () => {
        const result = await client.query({
          query: 'SELECT finding_id FROM findings WHERE finding_id IN {ids:Array(String)}',
          query_params: { ids: findings.map((finding) => finding.finding_id) },
          format: 'JSONCompactEachRow',
        })
        const seen = new Set((await result.json<[string]>()).map(([id]) => id))
        const fresh = findings.filter((finding) => {
          if (seen.has(finding.finding_id)) return false
          seen.add(finding.finding_id)
          return true
        })
        if (fresh.length === 0) return []
        const rows: FindingRow[] = fresh.map((finding) => ({
          ...finding,
          entities: JSON.stringify(finding.entities),
          evidence: JSON.stringify(finding.evidence),
        }))
        try {
          await client.insert({ table: 'findings', values: rows, format: 'JSONEachRow' })
        } catch (error) {
          throw new InsertFailedError('findings', error)
        }
        return fresh
      })
    },

    async list(query) {
      const limit = Math.min(Math.max(query.limit ?? 200, 1), 5000)
      const result = await client.query({
        query: `SELECT tenant, finding_id, toUnixTimestamp64Milli(ts) AS ts_ms, toUnixTimestamp64Milli(detected_at) AS detected_ms,
                       rule, severity, title, summary, entities, evidence
                FROM findings
                WHERE tenant = {tenant:String}
                  AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
                  AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
                  AND ({severity:String} = '' OR severity = {severity:String})
                  AND ({rule:String} = '' OR rule = {rule:String})
                ORDER BY if({by_severity:Bool}, multiIf(severity = 'page', 0, severity = 'ticket', 1, severity = 'info', 2, 3), 0),
                         ts DESC, finding_id
                LIMIT {limit:UInt32}`,
        query_params: {
          tenant: query.tenant,
          from: query.from ?? 0,
          to: query.to ?? 8_000_000_000_000,
          severity: query.severity ?? '',
          rule: query.rule ?? '',
          limit,
          by_severity: query.order === 'severity',
        },
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
      // Aliases differ from the column names: ClickHouse would otherwise read `ts` in WHERE as the alias.
      const rows = await result.json<
        Omit<FindingRow, 'ts' | 'detected_at'> & { ts_ms: number; detected_ms: number }
      >()
      return rows.map(({ ts_ms, detected_ms, ...row }) => ({
        ...row,
        ts: Number(ts_ms),
        detected_at: Number(detected_ms),
        entities: JSON.parse(row.entities) as Record<string, string>,
        evidence: JSON.parse(row.evidence) as Record<string, unknown>,
      }))
    },
  }
}
