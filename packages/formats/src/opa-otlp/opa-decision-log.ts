// OPA decision logs (open-policy-agent/opa, docs "Decision Logs"; v0.x and v1.x agree):
//   body  = JSON array of events (the agent's upload to `<service>/logs`, gzip on the wire), or
//           one event per line (OPA's console decision logger, whose lines add level/msg/time)
//   event = {"decision_id": uuid, "labels": {"id": instance-id, "version", ...},
//            "bundles": {<name>: {"revision": string}}, "revision": string (legacy, pre-bundles),
//            "path": "envoy/authz/allow", "query", "input": any, "result": any (absent when the
//            decision was undefined), "error": {"code", "message"} (evaluation failed),
//            "erased": ["/result", ...], "masked": [...], "requested_by", "req_id", "trace_id",
//            "timestamp": RFC 3339 with up to ns, "metrics": {"timer_rego_query_eval_ns": int,
//            "timer_server_handler_ns": int, "counter_server_query_cache_hit": 0|1, ...}}
// For Envoy's external authorization the input is
//   {"attributes": {"source": {"principal": spiffe}, "destination": {"principal": spiffe},
//                   "request": {"http": {"method", "path", "headers": {"x-request-id", ...}}}}}
//
// The verdict:
//   - `error` present: decision "error". A PDP that failed did not deny, and decision availability
//     must see it.
//   - `result` absent: the decision was undefined (no rule produced a value). Stored as "deny":
//     the enforcement point got no allow, and the callers OPA serves are default-deny (Envoy's
//     opa-envoy-plugin answers 403 to an undefined decision; a Data API client that reads
//     `result` finds none). It is not "error": the evaluation worked, and counting it as a PDP
//     failure would put policy gaps into decision availability.
//   - `result` true/false (or the text "true"/"false", as OPA's own docs sample has it), or an
//     object with a boolean `allowed` (Envoy ext_authz response) or `allow` (a whole package):
//     allow/deny. Any other result says nothing we can read: rejected with a reason.
//   - `result` erased by a mask policy: rejected, since the verdict is not in the record.

import { deriveEventId } from '@palisade/schema'
import type { FormatParser, ParseResult } from '../format-parser.ts'
import { splitJsonRecords } from '../native-ndjson.ts'

const maxRevisionChars = 256

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

/** The value at `path` inside nested objects, if each step is an object. */
function at(value: unknown, ...path: string[]): unknown {
  let current = value
  for (const key of path) current = asObject(current)?.[key]
  return current
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** The verdict of an event, or a reason it has none we can read. */
function verdictOf(
  event: Record<string, unknown>,
): { decision: 'allow' | 'deny' | 'error' } | { reason: string } {
  if (event.error !== undefined && event.error !== null) return { decision: 'error' }
  if (!('result' in event)) {
    if (Array.isArray(event.erased) && event.erased.includes('/result')) {
      return { reason: 'the result was erased by a mask policy; the verdict is not in the record' }
    }
    return { decision: 'deny' }
  }
  const result = event.result
  const verdict = typeof result === 'object' ? (at(result, 'allowed') ?? at(result, 'allow')) : result
  if (verdict === true || verdict === 'true') return { decision: 'allow' }
  if (verdict === false || verdict === 'false') return { decision: 'deny' }
  return {
    reason: 'result is not a boolean, nor an object with a boolean "allowed" or "allow": no verdict to read',
  }
}

/**
 * The policy revision: the revision of each bundle (one bundle: its revision as it is; several:
 * `name=revision` pairs sorted by name, comma-joined), else the legacy top-level `revision`.
 */
function revisionOf(event: Record<string, unknown>): string | undefined {
  const bundles = Object.entries(asObject(event.bundles) ?? {})
    .map(([name, bundle]) => [name, text(at(bundle, 'revision'))] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  let revision: string | undefined
  if (bundles.length === 1) revision = bundles[0]![1]
  else if (bundles.length > 1) revision = bundles.map(([name, value]) => `${name}=${value}`).join(',')
  else revision = text(event.revision)
  // Revisions are usually hashes or tags; a long list of bundles is cut rather than losing the decision.
  return revision !== undefined && revision.length > maxRevisionChars
    ? `${revision.slice(0, maxRevisionChars - 3)}...`
    : revision
}

/** The decision latency in ms: the query evaluation time, else the server handler's. */
function latencyOf(event: Record<string, unknown>): number | undefined {
  const metrics = asObject(event.metrics)
  const ns = metrics?.timer_rego_query_eval_ns ?? metrics?.timer_server_handler_ns
  return typeof ns === 'number' && ns >= 0 ? ns / 1e6 : undefined
}

/**
 * Whether OPA answered from its prepared-query cache: `counter_server_query_cache_hit` is 1 on a hit
 * and 0 on a miss (OPA's server sets it on every Data API / ext_authz query); absent when the
 * decision logger left metrics out, and then the decision is no cache lookup at all.
 */
function cacheHitOf(event: Record<string, unknown>): boolean | undefined {
  const hit = asObject(event.metrics)?.counter_server_query_cache_hit
  return typeof hit === 'number' ? hit > 0 : undefined
}

/** RFC 3339 (any fraction of a second) as whole epoch ms. */
function timestampOf(value: unknown): number | undefined {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN
  return Number.isNaN(ms) ? undefined : ms
}

/** Map one decision-log event to a decision event, or give the reason it cannot be. */
function mapDecision(event: Record<string, unknown>): Record<string, unknown> | string {
  const verdict = verdictOf(event)
  if ('reason' in verdict) return verdict.reason
  const ts = timestampOf(event.timestamp)
  if (ts === undefined) return 'timestamp is missing or not an RFC 3339 time'
  const input = event.input
  const http = at(input, 'attributes', 'request', 'http')
  const mapped: Record<string, unknown> = {
    event_id: text(event.decision_id) ?? deriveEventId('opa-decision-log', event),
    ts,
    source: 'opa',
    pdp: 'opa',
    decision: verdict.decision,
    request_id: text(at(http, 'headers', 'x-request-id')) ?? text(event.trace_id),
    enforcement_point: text(at(event, 'labels', 'id')),
    service: text(at(event, 'labels', 'service')) ?? text(at(event, 'labels', 'app')),
    // Envoy ext_authz input first, then the flat {method, path, subject|user} of Data API callers.
    subject: text(at(input, 'subject')) ?? text(at(input, 'user')),
    src_identity: text(at(input, 'attributes', 'source', 'principal')),
    dst_identity: text(at(input, 'attributes', 'destination', 'principal')),
    action: text(at(http, 'method')) ?? text(at(input, 'method')),
    resource: text(at(http, 'path')) ?? text(at(input, 'path')),
    policy_id: text(event.path),
    policy_revision: revisionOf(event),
    latency_ms: latencyOf(event),
    cache_hit: cacheHitOf(event),
  }
  for (const key of Object.keys(mapped)) if (mapped[key] === undefined) delete mapped[key]
  return mapped
}

/** OPA decision logs: the agent's upload body (a JSON array) or one event per line. */
export const opaDecisionLogParser: FormatParser = {
  name: 'opa-decision-log',
  description: "OPA decision logs: the agent's upload body (JSON array, gzip allowed) or one event per line",
  kinds: ['decision'],
  parse(input): ParseResult {
    const result: ParseResult = { records: [], rejected: [] }
    let records: ReturnType<typeof splitJsonRecords>
    try {
      records = splitJsonRecords(input)
    } catch (error) {
      // An upload that is not a JSON array is kept whole as one record: the agent re-sends a
      // chunk it had refused forever, so one unreadable chunk must cost only itself.
      result.rejected.push({ line: 1, raw: input, reason: `not a JSON array: ${(error as Error).message}` })
      return result
    }
    for (const { line, raw, value, reason } of records) {
      const event = asObject(value)
      const mapped = reason ?? (event ? mapDecision(event) : 'decision-log event is not a JSON object')
      if (typeof mapped === 'string') result.rejected.push({ line, raw, reason: mapped })
      else result.records.push({ line, raw, kind: 'decision', event: mapped })
    }
    return result
  },
}
