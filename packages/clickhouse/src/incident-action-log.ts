import type { ClickHouseClient } from '@clickhouse/client'
import { InsertFailedError } from './errors.ts'

/** One action a person took on an incident: a row of `incident_actions` (sql/0012). */
export interface IncidentActionRecord {
  tenant: string
  /** Unique id; every alert router applies an action once. */
  id: string
  incident_key: string
  kind: 'ack' | 'resolve' | 'silence' | 'snooze'
  /** The authenticated principal who took it. */
  actor: string
  comment: string
  /** Epoch ms. */
  at: number
  /** End of a snooze or silence, epoch ms; 0 for the others. */
  until: number
  /** A silence's matchers (Alertmanager API v2's JSON form); `[]` for the others. */
  matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual: boolean }>
  /** The silence a silence action created, else empty. */
  silence_id: string
}

/** Where incident actions are kept: the timeline's and audit trail's record, and the routers' queue. */
export interface IncidentActionLog {
  /** Append an action; resolves once ClickHouse acknowledged it. */
  record(action: IncidentActionRecord): Promise<void>
  /** Actions taken at or after `since` (epoch ms), oldest first, every tenant: what a router applies. */
  since(since: number): Promise<IncidentActionRecord[]>
  /** One incident's actions, newest first (at most 500). */
  ofIncident(tenant: string, incidentKey: string): Promise<IncidentActionRecord[]>
}

interface Row extends Omit<IncidentActionRecord, 'at' | 'until' | 'matchers'> {
  at_ms: number
  until_ms: number
  matchers: string
}

const COLUMNS = `tenant, id, incident_key, kind, actor, comment, matchers, silence_id,
                 toUnixTimestamp64Milli(at) AS at_ms, toUnixTimestamp64Milli(until) AS until_ms`

function fromRow(row: Row): IncidentActionRecord {
  const { at_ms, until_ms, matchers, ...rest } = row
  return {
    ...rest,
    at: Number(at_ms),
    until: Number(until_ms),
    matchers: JSON.parse(matchers) as IncidentActionRecord['matchers'],
  }
}

/** The incident action log over `incident_actions`. */
export function createIncidentActionLog(client: ClickHouseClient): IncidentActionLog {
  async function select(query: string, params: Record<string, unknown>): Promise<IncidentActionRecord[]> {
    const result = await client.query({
      query,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
    return (await result.json<Row>()).map(fromRow)
  }

  return {
    async record(action) {
      try {
        await client.insert({
          table: 'incident_actions',
          values: [{ ...action, matchers: JSON.stringify(action.matchers) }],
          format: 'JSONEachRow',
        })
      } catch (error) {
        throw new InsertFailedError('incident_actions', error)
      }
    },

    since(since) {
      return select(
        `SELECT ${COLUMNS} FROM incident_actions
         WHERE at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
         ORDER BY at, id`,
        { since },
      )
    },

    ofIncident(tenant, incidentKey) {
      return select(
        `SELECT ${COLUMNS} FROM incident_actions
         WHERE tenant = {tenant:String} AND incident_key = {key:String}
         ORDER BY at DESC, id
         LIMIT 500`,
        { tenant, key: incidentKey },
      )
    },
  }
}
