import type { ParseResult } from '../format-parser.ts'
import { splitJsonRecords } from '../native-ndjson.ts'
import { completeSide } from './connection-side.ts'
import { FlowRecordUnreadableError } from './flow-record-error.ts'

/**
 * A flow event as the flow parsers build it: the fields of the schema's `flow` kind, nothing else
 * (the schema is strict). `ts` is epoch ms; optional fields left undefined take the schema's
 * defaults, so a parser leaves out what its source does not say instead of writing a guess.
 */
export interface FlowFields {
  event_id: string
  ts: number
  source: string
  service?: string | undefined
  src_identity?: string | undefined
  dst_identity?: string | undefined
  src_ip?: string | undefined
  dst_ip?: string | undefined
  src_port?: number | undefined
  dst_port: number
  protocol: 'tcp' | 'udp' | 'icmp' | 'other'
  verdict?: 'allowed' | 'dropped' | 'denied' | 'error' | undefined
  bytes_sent?: number | undefined
  bytes_received?: number | undefined
  packets?: number | undefined
  duration_ms?: number | undefined
  encrypted?: boolean | undefined
  /** Set when the source says which side the record shows; else read from the ports (`sideByPorts`). */
  is_reply?: boolean | undefined
  server_port?: number | undefined
  mtls?: 'mutual' | 'tls' | 'plaintext' | undefined
  src_pod?: string | undefined
  dst_pod?: string | undefined
  src_app?: string | undefined
  dst_app?: string | undefined
}

/**
 * Map one source record and file the outcome: the event, or a rejection with the reason a field
 * reader gave. Only `FlowRecordUnreadableError` is a rejection; any other error is a bug and
 * propagates.
 */
export function collectFlow(result: ParseResult, line: number, raw: string, map: () => FlowFields): void {
  let fields: FlowFields
  try {
    fields = map()
  } catch (error) {
    if (!(error instanceof FlowRecordUnreadableError)) throw error
    result.rejected.push({ line, raw, reason: error.message })
    return
  }
  // The connection's side is decided here, once, for every flow format.
  const side = completeSide(fields, fields.src_port, fields.dst_port, fields.protocol)
  // Undefined members would reach the validator as present-but-wrong fields.
  const event: Record<string, unknown> = {}
  for (const [key, value] of Object.entries({ ...fields, ...side }))
    if (value !== undefined) event[key] = value
  // Event time is whole milliseconds; sources with micro- or nanoseconds keep them in `raw`.
  event.ts = Math.floor(fields.ts)
  result.records.push({ line, raw, kind: 'flow', event })
}

/**
 * Parse JSON flow records (JSON lines, or one array): each readable value is mapped by `map`, each
 * unreadable line rejected on its own; a body that starts as an array but is not one is rejected
 * whole.
 */
export function parseJsonFlows(input: string, map: (value: unknown) => FlowFields): ParseResult {
  const result: ParseResult = { records: [], rejected: [] }
  let values: ReturnType<typeof splitJsonRecords>
  try {
    values = splitJsonRecords(input)
  } catch (error) {
    result.rejected.push({
      line: 1,
      raw: input,
      reason: `not a valid JSON array: ${(error as Error).message}`,
    })
    return result
  }
  for (const value of values) {
    if (value.reason !== undefined)
      result.rejected.push({ line: value.line, raw: value.raw, reason: value.reason })
    else collectFlow(result, value.line, value.raw, () => map(value.value))
  }
  return result
}
