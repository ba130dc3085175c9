// OTLP/HTTP logs, JSON encoding (opentelemetry-proto v1.x, collector/logs/v1/logs_service.proto):
//   ExportLogsServiceRequest = {"resourceLogs": [ResourceLogs]}
//   ResourceLogs = {"resource": {"attributes": [KeyValue]}, "scopeLogs": [ScopeLogs], "schemaUrl"}
//   ScopeLogs    = {"scope": {"name", "version", "attributes"}, "logRecords": [LogRecord]}
//   LogRecord    = {"timeUnixNano": "<ns>", "observedTimeUnixNano": "<ns>", "severityNumber": int,
//                   "severityText", "body": AnyValue, "attributes": [KeyValue], "eventName",
//                   "flags", "traceId": hex, "spanId": hex}
// Field names are lowerCamelCase, enums integers, 64-bit integers decimal strings, ids hex.
// A protobuf body is decoded by the collector into this same shape before it comes here.
//
// Which log records are perimeter telemetry (the Palisade convention):
//   - the kind comes from the attribute `palisade.kind` (`auth`, `mtls`, `decision`, `flow`,
//     `policy_change`), else from an event name `palisade.<kind>` (the record's `eventName` or its
//     `event.name` attribute);
//   - the fields are attributes named as our fields (`principal`, `outcome`, `src_identity`, ...);
//     other attributes and the body are ignored;
//   - `ts` defaults to timeUnixNano, else observedTimeUnixNano; `service` to the resource's
//     `service.name`; `source` to "otlp"; `event_id` to a hash of the record and its resource, so
//     that an exporter's retry stores nothing twice.
// Any other log record is rejected with a reason: it is an application log, not an event of ours.

import { deriveEventId, isEventKind } from '@palisade/schema'
import type { FormatParser, ParseResult } from '../format-parser.ts'
import {
  asArray,
  asObject,
  otlpService,
  pickEventFields,
  readOtlpAttributes,
  unixNanoToMs,
} from './otlp-attributes.ts'

const eventNamePrefix = 'palisade.'

/** The kind a log record names, or the reason it names none. */
function kindOf(record: Record<string, unknown>, attributes: Record<string, unknown>): string {
  const declared = attributes['palisade.kind']
  if (declared !== undefined) return String(declared)
  for (const name of [record.eventName, attributes['event.name']]) {
    if (typeof name === 'string' && name.startsWith(eventNamePrefix))
      return name.slice(eventNamePrefix.length)
  }
  return ''
}

/** OTLP/HTTP logs (JSON encoding): log records that follow the Palisade convention become events. */
export const otlpLogsParser: FormatParser = {
  name: 'otlp-logs',
  description:
    'OTLP/HTTP ExportLogsServiceRequest (JSON); records with a palisade.kind attribute become events',
  kinds: ['auth', 'mtls', 'decision', 'flow', 'policy_change'],
  parse(input): ParseResult {
    const request = asObject(JSON.parse(input))
    if (!request) throw new SyntaxError('body is not an ExportLogsServiceRequest object')
    const result: ParseResult = { records: [], rejected: [] }
    let line = 0
    for (const resourceLogs of asArray(request.resourceLogs)) {
      const resource = readOtlpAttributes(asObject(asObject(resourceLogs)?.resource)?.attributes)
      for (const scopeLogs of asArray(asObject(resourceLogs)?.scopeLogs)) {
        for (const item of asArray(asObject(scopeLogs)?.logRecords)) {
          line++
          const raw = JSON.stringify(item)
          const record = asObject(item)
          if (!record) {
            result.rejected.push({ line, raw, reason: 'log record is not a JSON object' })
            continue
          }
          const attributes = readOtlpAttributes(record.attributes)
          const kind = kindOf(record, attributes)
          if (kind === '') {
            result.rejected.push({
              line,
              raw,
              reason:
                'not perimeter telemetry: the log record has no palisade.kind attribute and no palisade.<kind> event name',
            })
            continue
          }
          if (!isEventKind(kind)) {
            result.rejected.push({ line, raw, reason: `palisade.kind "${kind}" is not an event kind` })
            continue
          }
          const event = pickEventFields(kind, attributes)
          const ts = unixNanoToMs(record.timeUnixNano) ?? unixNanoToMs(record.observedTimeUnixNano)
          if (event.ts === undefined && ts !== undefined) event.ts = ts
          event.source ??= 'otlp'
          const service = otlpService(attributes, resource)
          if (service !== undefined) event.service = service
          event.event_id ??= deriveEventId('otlp-logs', { resource, record })
          result.records.push({ line, raw, kind, event })
        }
      }
    }
    return result
  },
}
