import { createHash } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import { InsertFailedError } from './errors.ts'

/** What happened, as a caller tells the audit log. */
export interface AuditEntry {
  tenant: string
  /** Who: `key:<id>`, `token`, a person, or `palisade` for what the process did itself. */
  actor: string
  /** What, as a dotted verb: `sign-in`, `key.create`, `silence.create`, `declarations.load`. */
  action: string
  /** On what: a key id, a silence id, a file. */
  target: string
  detail?: Record<string, unknown>
  /** From where: the client's address, or `cli` / `startup`. */
  source: string
}

/** A row of `audit_log` (sql/0013). */
export interface AuditRow {
  seq: number
  /** Epoch ms. */
  ts: number
  tenant: string
  actor: string
  action: string
  target: string
  /** JSON. */
  detail: string
  source: string
  prevHash: string
  hash: string
}

/** The outcome of {@link verifyAuditChain}. */
export type AuditVerdict =
  | { ok: true; rows: number; lastHash: string }
  | { ok: false; rows: number; firstBad: { seq: number; reason: string } }

/** The hash the first row links to. */
export const AUDIT_GENESIS = '0'.repeat(64)

/** A row's hash: SHA-256 over its fields in a fixed order, the previous row's hash among them. */
export function auditRowHash(row: Omit<AuditRow, 'hash'>): string {
  const fields = [
    row.seq,
    row.ts,
    row.tenant,
    row.actor,
    row.action,
    row.target,
    row.detail,
    row.source,
    row.prevHash,
  ]
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex')
}

/** Appends to the audit log, one row after another, each chained to the one before. */
export interface AuditLog {
  /** Append; resolves once stored. Appends from one process are chained in call order. */
  append(entry: AuditEntry): Promise<AuditRow>
  /** Newest first; one tenant's, or every tenant's when `tenant` is undefined. */
  list(query: { tenant?: string; limit?: number }): Promise<AuditRow[]>
  /** The newest row of an action on a target, if any (what was recorded last time). */
  last(action: string, target: string): Promise<AuditRow | undefined>
}

const SELECT_ROWS = `SELECT seq, toUnixTimestamp64Milli(ts) AS ts_ms, tenant, actor, action, target, detail,
                            source, prev_hash, hash
                     FROM audit_log`

interface RawRow {
  seq: number
  ts_ms: number
  tenant: string
  actor: string
  action: string
  target: string
  detail: string
  source: string
  prev_hash: string
  hash: string
}

function fromRaw(row: RawRow): AuditRow {
  return {
    seq: Number(row.seq),
    ts: Number(row.ts_ms),
    tenant: row.tenant,
    actor: row.actor,
    action: row.action,
    target: row.target,
    detail: row.detail,
    source: row.source,
    prevHash: row.prev_hash,
    hash: row.hash,
  }
}

async function selectRows(client: ClickHouseClient, query: string, params: Record<string, unknown>) {
  const result = await client.query({
    query,
    query_params: params,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })
  return (await result.json<RawRow>()).map(fromRaw)
}

/**
 * The audit log over `audit_log`. One process appends (the all-in-one, or the dashboard in
 * distributed mode): the chain's head is read once, then kept here, and appends are serialised.
 */
export function createAuditLog(client: ClickHouseClient, options: { now?: () => number } = {}): AuditLog {
  const now = options.now ?? Date.now
  let head: Promise<{ seq: number; hash: string }> | undefined
  let queue: Promise<unknown> = Promise.resolve()

  const readHead = async () => {
    const [last] = await selectRows(client, `${SELECT_ROWS} ORDER BY seq DESC LIMIT 1`, {})
    return last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: AUDIT_GENESIS }
  }

  return {
    append(entry) {
      const appended = queue.then(async () => {
        head ??= readHead()
        const previous = await head
        const unhashed = {
          seq: previous.seq + 1,
          ts: now(),
          tenant: entry.tenant,
          actor: entry.actor,
          action: entry.action,
          target: entry.target,
          detail: JSON.stringify(entry.detail ?? {}),
          source: entry.source,
          prevHash: previous.hash,
        }
        const row: AuditRow = { ...unhashed, hash: auditRowHash(unhashed) }
        try {
          await client.insert({
            table: 'audit_log',
            values: [
              {
                seq: row.seq,
                ts: row.ts,
                tenant: row.tenant,
                actor: row.actor,
                action: row.action,
                target: row.target,
                detail: row.detail,
                source: row.source,
                prev_hash: row.prevHash,
                hash: row.hash,
              },
            ],
            format: 'JSONEachRow',
          })
        } catch (error) {
          // The head is unknown now (the insert may have landed): read it again next time.
          head = undefined
          throw new InsertFailedError('audit_log', error)
        }
        head = Promise.resolve({ seq: row.seq, hash: row.hash })
        return row
      })
      // One failed append must not stop the ones after it.
      queue = appended.catch(() => undefined)
      return appended
    },

    list({ tenant, limit = 200 }) {
      const where = tenant === undefined ? '' : 'WHERE tenant = {tenant:String}'
      return selectRows(client, `${SELECT_ROWS} ${where} ORDER BY seq DESC LIMIT {limit:UInt32}`, {
        tenant,
        limit,
      })
    },

    async last(action, target) {
      const [row] = await selectRows(
        client,
        `${SELECT_ROWS} WHERE action = {action:String} AND target = {target:String} ORDER BY seq DESC LIMIT 1`,
        { action, target },
      )
      return row
    },
  }
}

/**
 * Recompute the chain from the first row: every row's hash must be its own, its `prev_hash` the
 * row before's, and the sequence without gaps. Names the first row where that fails.
 */
export async function verifyAuditChain(client: ClickHouseClient): Promise<AuditVerdict> {
  const rows = await selectRows(client, `${SELECT_ROWS} ORDER BY seq`, {})
  let previous = { seq: 0, hash: AUDIT_GENESIS }
  for (const row of rows) {
    const { hash, ...unhashed } = row
    let reason: string | undefined
    if (row.seq !== previous.seq + 1) reason = `expected row ${previous.seq + 1} next, found ${row.seq}`
    else if (row.prevHash !== previous.hash) reason = 'its prev_hash is not the hash of the row before'
    else if (auditRowHash(unhashed) !== hash) reason = 'its content does not match its hash (edited)'
    if (reason) return { ok: false, rows: rows.length, firstBad: { seq: row.seq, reason } }
    previous = { seq: row.seq, hash }
  }
  return { ok: true, rows: rows.length, lastHash: previous.hash }
}
