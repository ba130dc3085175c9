// osquery result logs (osquery docs "Logging": the filesystem logger's osqueryd.results.log, or any
// logger plugin forwarding the same JSON), one JSON object a line, in the three shapes osquery
// writes:
//
//   event     = {"name", "hostIdentifier", "calendarTime", "unixTime", "epoch", "counter",
//                "decorations": {...}, "columns": {<column>: string}, "action": "added" / "removed"}
//   snapshot  = {... as above, "snapshot": [{<column>: string}, ...], "action": "snapshot"}
//   batch     = {... as above, "diffResults": {"added": [...], "removed": [...]}}
//   name      = [ "pack_" pack "_" ] query          ; scheduled in a pack, or on its own
//   unixTime  = seconds since the epoch, a number or a string of digits (older agents)
//
// Posture checks, by the convention of osquery compliance tooling (Fleet policies, Kolide checks):
// a check is a query that returns rows while the host complies (`SELECT 1 FROM disk_encryption
// WHERE encrypted = 1`). So a differential `added` row means the check now passes, `removed` that
// it stopped passing (fail); a snapshot or batch with rows passes, one without rows fails. The check
// is the query name without its pack prefix; the device the host identifier (else the host_uuid
// decoration); the user the `username` decoration.
//
// Not posture: osquery's own `osquery-monitoring` pack (the agent's schedule statistics) is the
// agent reporting on itself; those lines are counted as ignored. With the `queries` option
// (comma-separated check names) only those queries are checks and other results are ignored.

import { deriveEventId } from '@palisade/schema'
import type { FormatParser, ParseOptions, ParseResult } from '../format-parser.ts'
import { splitJsonRecords } from '../native-ndjson.ts'

const formatName = 'osquery-results'
const monitoringPack = 'osquery-monitoring'

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

/** `pack_it-compliance_mounts` → pack `it-compliance`, check `mounts`; a query outside packs is its own name. */
function splitName(name: string): { pack?: string; check: string } {
  const match = /^pack_([^_]+)_(.+)$/.exec(name)
  return match ? { pack: match[1]!, check: match[2]! } : { check: name }
}

/** `unixTime` (seconds, number or digits) as epoch ms. */
function timeOf(result: Record<string, unknown>): number | undefined {
  const value = result.unixTime
  const seconds =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value)
        ? Number(value)
        : Number.NaN
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined
}

/** Pass or fail as the result's rows say (see the header), or a reason there is no verdict. */
function verdictOf(result: Record<string, unknown>): 'pass' | 'fail' | string {
  if (result.action === 'added') return 'pass'
  if (result.action === 'removed') return 'fail'
  if (Array.isArray(result.snapshot)) return result.snapshot.length > 0 ? 'pass' : 'fail'
  const diff = objectOf(result.diffResults)
  if (diff) {
    const added = Array.isArray(diff.added) ? diff.added.length : 0
    const removed = Array.isArray(diff.removed) ? diff.removed.length : 0
    if (added > 0) return 'pass'
    if (removed > 0) return 'fail'
    return 'diffResults has neither added nor removed rows: no change to read'
  }
  return 'no action added/removed, snapshot or diffResults: not an osquery result'
}

function queriesOf(options: ParseOptions | undefined): Set<string> | undefined {
  const list = options?.queries
  if (list === undefined) return undefined
  return new Set(
    list
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  )
}

/** osquery result logs (event, snapshot and batch shapes) as posture checks. */
export const osqueryResultsParser: FormatParser = {
  name: formatName,
  description: 'osquery result logs (JSON lines: differential, snapshot or batch) as device posture checks',
  kinds: ['posture'],
  options: ['queries', 'service'],
  parse(input, options): ParseResult {
    const result: ParseResult = { records: [], rejected: [], ignored: 0 }
    const queries = queriesOf(options)
    const service = options?.service ?? 'devices'
    let records: ReturnType<typeof splitJsonRecords>
    try {
      records = splitJsonRecords(input)
    } catch (error) {
      result.rejected.push({ line: 1, raw: input, reason: `not a JSON array: ${(error as Error).message}` })
      return result
    }
    for (const { line, raw, value, reason } of records) {
      const reject = (why: string) => result.rejected.push({ line, raw, reason: why })
      if (reason !== undefined) {
        reject(reason)
        continue
      }
      const row = objectOf(value)
      const name = textOf(row?.name)
      if (!row || name === undefined) {
        reject('not an osquery result: no query "name"')
        continue
      }
      const { pack, check } = splitName(name)
      if (queries ? !queries.has(check) : pack === monitoringPack) {
        result.ignored = (result.ignored ?? 0) + 1
        continue
      }
      const decorations = objectOf(row.decorations)
      const device = textOf(row.hostIdentifier) ?? textOf(decorations?.host_uuid)
      if (device === undefined) {
        reject('no hostIdentifier nor host_uuid decoration: the device checked is unknown')
        continue
      }
      const ts = timeOf(row)
      if (ts === undefined) {
        reject('unixTime is missing or not whole seconds')
        continue
      }
      const verdict = verdictOf(row)
      if (verdict !== 'pass' && verdict !== 'fail') {
        reject(verdict)
        continue
      }
      const principal = textOf(decorations?.username)
      result.records.push({
        line,
        raw,
        kind: 'posture',
        event: {
          event_id: deriveEventId(formatName, row),
          ts,
          source: 'osquery',
          service,
          device,
          ...(principal === undefined ? {} : { principal }),
          check,
          outcome: verdict,
          agent: 'osquery',
        },
      })
    }
    return result
  },
}
