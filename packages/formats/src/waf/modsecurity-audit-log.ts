// ModSecurity v3 (libmodsecurity) and Coraza JSON audit logs, one transaction per line
// (`SecAuditLogFormat JSON`, Serial or Concurrent). Two shapes exist:
//
// libmodsecurity v3 (also written by Coraza's libmodsecurity-compatible formatter):
//   {"transaction": {"client_ip", "time_stamp": ctime in the server's local time ("Fri May 14 14:52:47 2021"),
//    "server_id", "client_port", "host_ip", "host_port", "unique_id" (older: "id"),
//    "is_interrupted": bool (3.0.13 and later),
//    "request": {"method", "http_version", "hostname", "uri", "headers": {name: value}},
//    "response": {"http_code", "headers": {...}},
//    "producer": {"modsecurity": "ModSecurity v3.0.16 (Linux)", "connector", "secrules_engine":
//                 "Enabled" | "DetectionOnly" | "Disabled", "components": ["OWASP_CRS/4.25.1\""]},
//    "messages": [{"message", "details": {"match", "reference", "ruleId", "file", "lineNumber",
//                  "data", "severity", "ver", "rev", "tags", "maturity", "accuracy"}}]}}
//
// Coraza's own JSON (internal/auditlog/auditlog.go):
//   {"transaction": {"timestamp", "unix_timestamp": ns, "id", "client_ip", "client_port", "host_ip",
//    "host_port", "server_id", "request": {"method", "protocol", "uri", "http_version",
//    "headers": {name: [values]}}, "response": {"protocol", "status", "headers"},
//    "producer": {"connector", "version", "server", "rule_engine": "On" | "DetectionOnly" | "Off",
//                 "rulesets": [...]}, "highest_severity", "is_interrupted"},
//    "messages": [{"actionset", "message", "data": {"file", "line", "id", "msg", "data", "severity",
//                  "ver", "tags", ...}}]}
//
// Each transaction is one decision of the WAF. It denied when the engine interrupted the
// transaction (`is_interrupted`); logs that predate the field deny when a blocking-evaluation rule
// of the Core Rule Set matched (949xxx inbound, 959xxx outbound: they match only when the anomaly
// score passed the threshold, and then block). In DetectionOnly the engine blocks nothing: a
// transaction that would have been blocked is a dry-run deny. The rule that decided is the last
// one logged before the interruption (a disruptive action ends the rules' evaluation); the other
// matched rules are listed as `match` in `rule_actions`, the CRS reporting rules (980xxx, run after
// the decision to log the scores) left out.

import { deriveEventId } from '@palisade/schema'
import type { FormatParser, ParseOptions, ParseResult } from '../format-parser.ts'
import { readJsonBody } from '../identity/json-body.ts'
import { parseTimeZone, type TimeZone, wallTimeToEpochMs } from '../identity/local-time.ts'
import { clippedText, ipAddressOf, objectOf, textOf } from '../identity/source-values.ts'
import { addRuleAction, httpMethodOf, type RuleActions, reasonText } from './waf-fields.ts'

const months: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
}

// ctime: "Fri May 14 14:52:47 2021", days below 10 padded with a space ("Mon May  9 09:41:59 2022").
const ctime = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/
// Coraza's own timestamp: "2026/02/22 09:00:00".
const corazaTime = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/

/** A wall-clock time read as UTC (the zone is applied after), or undefined when it is no real time. */
function wallMs(year: number, month: number, day: number, h: number, m: number, s: number) {
  if (h > 23 || m > 59 || s > 60) return undefined
  const ms = Date.UTC(year, month, day, h, m, Math.min(s, 59))
  const date = new Date(ms)
  return date.getUTCMonth() === month && date.getUTCDate() === day ? ms : undefined
}

/** The transaction's time as epoch ms, or undefined: Coraza's ns timestamp, else the local wall time. */
function timeOf(transaction: Record<string, unknown>, zone: TimeZone): number | undefined {
  const unixNs = transaction.unix_timestamp
  if (typeof unixNs === 'number' && unixNs > 0) return Math.floor(unixNs / 1e6)
  const text = textOf(transaction.time_stamp) ?? textOf(transaction.timestamp)
  if (text === undefined) return undefined
  let wall: number | undefined
  const c = ctime.exec(text)
  if (c) {
    const month = months[c[1] ?? '']
    if (month === undefined) return undefined
    wall = wallMs(Number(c[6]), month, Number(c[2]), Number(c[3]), Number(c[4]), Number(c[5]))
  } else {
    const z = corazaTime.exec(text)
    if (!z) return undefined
    wall = wallMs(Number(z[1]), Number(z[2]) - 1, Number(z[3]), Number(z[4]), Number(z[5]), Number(z[6]))
  }
  return wall === undefined ? undefined : wallTimeToEpochMs(wall, zone)
}

/** One matched rule as either shape logs it. */
interface RuleMatch {
  id: string
  message: string | undefined
  data: string | undefined
}

function idText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return String(value)
  return textOf(value)
}

/** The rules a transaction matched, in the order logged (v3 `messages[].details`, Coraza `messages[].data`). */
function matchesOf(record: Record<string, unknown>, transaction: Record<string, unknown>): RuleMatch[] {
  const messages = Array.isArray(transaction.messages)
    ? transaction.messages
    : Array.isArray(record.messages)
      ? record.messages
      : []
  return messages.flatMap((element) => {
    const message = objectOf(element)
    const details = objectOf(message?.details) ?? objectOf(message?.data)
    const id = idText(details?.ruleId) ?? idText(details?.id)
    if (message === undefined || id === undefined) return []
    return [
      {
        id,
        message: textOf(message.message) ?? textOf(details?.msg),
        data: textOf(details?.data),
      },
    ]
  })
}

/** CRS blocking evaluation (949xxx inbound, 959xxx outbound): matches only past the anomaly threshold. */
function isBlockingEvaluation(id: string): boolean {
  return /^9[45]9\d{3}$/.test(id)
}

/** CRS reporting rules (980xxx) log the scores after the decision; they decide nothing. */
function isReporting(id: string): boolean {
  return /^980\d{3}$/.test(id)
}

/** A header's value by name, whatever its case; Coraza keeps a list of values per name. */
function headerOf(headers: unknown, name: string): string | undefined {
  for (const [key, value] of Object.entries(objectOf(headers) ?? {})) {
    if (key.toLowerCase() !== name) continue
    return textOf(Array.isArray(value) ? value[0] : value)
  }
  return undefined
}

/** The protected site: the request's Host without its port, lower-cased. */
function siteOf(request: Record<string, unknown> | undefined): string | undefined {
  const host = headerOf(request?.headers, 'host') ?? textOf(request?.hostname)
  if (host === undefined) return undefined
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '')
  return name === '' ? undefined : name.toLowerCase().slice(0, 256)
}

/** The rule set and its version ("OWASP_CRS/4.25.1"); libmodsecurity leaves a stray quote on it. */
function rulesetOf(producer: Record<string, unknown> | undefined): string | undefined {
  const list = Array.isArray(producer?.components) ? producer.components : producer?.rulesets
  if (!Array.isArray(list)) return undefined
  const names = list.flatMap((value) => {
    const name = textOf(value)?.replace(/^"+|"+$/g, '')
    return name ? [name] : []
  })
  return names.length > 0 ? names.join(',').slice(0, 256) : undefined
}

/** Map one audit-log transaction to a decision event, or give the reason it cannot be. */
function mapRecord(
  record: Record<string, unknown>,
  zone: TimeZone,
  service: string | undefined,
): Record<string, unknown> | string {
  const transaction = objectOf(record.transaction)
  if (transaction === undefined)
    return 'no "transaction" object: not a ModSecurity or Coraza JSON audit record'
  const ts = timeOf(transaction, zone)
  if (ts === undefined) {
    return 'no time: expected time_stamp as ctime ("Fri May 14 14:52:47 2021"), timestamp or unix_timestamp'
  }
  const request = objectOf(transaction.request)
  const producer = objectOf(transaction.producer)
  const engine = (textOf(producer?.secrules_engine) ?? textOf(producer?.rule_engine) ?? '').toLowerCase()
  const dryRun = engine === 'detectiononly'
  const coraza =
    'unix_timestamp' in transaction || (textOf(producer?.modsecurity)?.startsWith('Coraza') ?? false)
  const matches = matchesOf(record, transaction).filter((match) => !isReporting(match.id))
  const wouldBlock = matches.some((match) => isBlockingEvaluation(match.id))
  const interrupted =
    typeof transaction.is_interrupted === 'boolean' ? transaction.is_interrupted : wouldBlock && !dryRun
  const deny = interrupted || (dryRun && wouldBlock)
  // The rule that decided: the last logged (a disruptive action ends evaluation).
  const decidedBy = deny ? matches.at(-1) : undefined
  const rules: RuleActions = {}
  for (const match of matches) {
    addRuleAction(rules, match.id, match === decidedBy && interrupted ? 'block' : 'match')
  }
  const reason = reasonText(
    matches.map((match) => {
      const data = match.data !== undefined ? ` (${match.data})` : ''
      return `${match.id} ${match.message ?? 'matched'}${data}`
    }),
  )
  const hostPort = transaction.host_port
  const listener = textOf(transaction.host_ip)
  const mapped: Record<string, unknown> = {
    event_id: deriveEventId('modsecurity-audit', record),
    ts,
    source: coraza ? 'coraza' : 'modsecurity',
    pdp: coraza ? 'coraza' : 'modsecurity',
    // The sender's name for the protected service, else the site the request asked for.
    service: service ?? siteOf(request),
    // The engine's own name for its server; else the address it listens on.
    enforcement_point: clippedText(
      textOf(transaction.server_id) ??
        (listener !== undefined
          ? `${listener}${typeof hostPort === 'number' ? `:${hostPort}` : ''}`
          : undefined),
      256,
    ),
    decision: deny ? 'deny' : 'allow',
    dry_run: dryRun,
    policy_id: decidedBy?.id,
    policy_revision: rulesetOf(producer),
    reason,
    client_ip: ipAddressOf(transaction.client_ip),
    action: httpMethodOf(request?.method),
    resource: textOf(request?.uri)?.slice(0, 2048),
    request_id: clippedText(
      headerOf(request?.headers, 'x-request-id') ?? textOf(transaction.unique_id) ?? idText(transaction.id),
      256,
    ),
    rule_actions: Object.keys(rules).length > 0 ? rules : undefined,
  }
  for (const key of Object.keys(mapped)) if (mapped[key] === undefined) delete mapped[key]
  return mapped
}

/** Reads `options.timezone` (UTC by default), or the problem every record is rejected with. */
function zoneOption(options: ParseOptions | undefined): TimeZone | string {
  const value = options?.timezone
  const zone = parseTimeZone(value ?? 'UTC')
  return zone ?? `options.timezone "${value}": expected UTC, an offset such as +02:00, or an IANA name`
}

/**
 * `options.service`: the protected service every record of the request belongs to. Without it the
 * service is the Host the request named, which a client chooses: a sender that knows which service
 * its WAF guards keeps scanners' made-up hosts out of the per-service rollups by naming it.
 */
function serviceOption(options: ParseOptions | undefined): string | undefined {
  const value = options?.service?.trim()
  return value ? value.slice(0, 256) : undefined
}

/** ModSecurity v3 and Coraza JSON audit logs: one transaction per line. */
export const modsecurityAuditLogParser: FormatParser = {
  name: 'modsecurity-audit',
  description:
    'ModSecurity v3 / Coraza JSON audit logs (SecAuditLogFormat JSON): one transaction per line; times in options.timezone (UTC by default), service from options.service or the Host',
  kinds: ['decision'],
  options: ['timezone', 'service'],
  parse(input, options): ParseResult {
    const result: ParseResult = { records: [], rejected: [] }
    const zone = zoneOption(options)
    let records: ReturnType<typeof readJsonBody>
    try {
      records = readJsonBody(input, () => undefined)
    } catch (error) {
      result.rejected.push({ line: 1, raw: input, reason: `not a JSON array: ${(error as Error).message}` })
      return result
    }
    for (const { line, raw, value, reason } of records) {
      const record = objectOf(value)
      const mapped =
        reason ??
        (typeof zone === 'string'
          ? zone
          : record
            ? mapRecord(record, zone, serviceOption(options))
            : 'audit record is not a JSON object')
      if (typeof mapped === 'string') result.rejected.push({ line, raw, reason: mapped })
      else result.records.push({ line, raw, kind: 'decision', event: mapped })
    }
    return result
  },
}
