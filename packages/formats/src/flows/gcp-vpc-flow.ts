// GCP VPC Flow Logs as Cloud Logging writes them, one LogEntry per sampled flow:
//
//   body      = LogEntry *( LF LogEntry )  /  "[" LogEntry *( "," LogEntry ) "]"
//               ; sink export files are JSON lines; `gcloud logging read --format=json` is an array
//   LogEntry  = { insertId, logName, timestamp, resource, jsonPayload: flow, ... }
//   flow      = { connection: { src_ip, src_port, dest_ip, dest_port, protocol (IANA number) },
//                 reporter: "SRC" / "DEST" / "SRC_GATEWAY" / "DEST_GATEWAY",
//                 bytes_sent, packets_sent, rtt_msec   ; int64, so JSON strings ("1776")
//                 start_time, end_time                 ; RFC 3339, nanoseconds
//                 src_instance, dest_instance  = { project_id, vm_name, region, zone }
//                 src_gke_details, dest_gke_details = { cluster, pod: { pod_name, pod_namespace } }
//                 src_vpc, dest_vpc, src_location, dest_location, ... }
//
// A flow between two VMs is reported by both ends (reporter SRC and DEST), as two entries with
// their own insertIds: each is an event, as each is a separate sample. Firewall Rules Logging
// entries share `connection` and add `disposition` (ALLOWED / DENIED), which is read as the verdict.

import { deriveEventId } from '@palisade/schema'
import type { FormatParser, ParseResult } from '../format-parser.ts'
import { splitLines } from '../native-ndjson.ts'
import { readField } from './field-readers.ts'
import { type FlowFields, parseJsonFlows } from './flow-record.ts'
import { FlowRecordUnreadableError } from './flow-record-error.ts'

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

/** `namespace/pod` for a GKE pod, else `project/vm` for a VM; nothing for addresses outside GCP. */
function identity(payload: Record<string, unknown>, side: 'src' | 'dest'): string | undefined {
  const pod = asObject(asObject(payload[`${side}_gke_details`])?.pod)
  if (typeof pod?.pod_namespace === 'string' && typeof pod.pod_name === 'string') {
    return `${pod.pod_namespace}/${pod.pod_name}`
  }
  const instance = asObject(payload[`${side}_instance`])
  if (typeof instance?.project_id === 'string' && typeof instance.vm_name === 'string') {
    return `${instance.project_id}/${instance.vm_name}`
  }
  return undefined
}

function mapEntry(value: unknown): FlowFields {
  const entry = readField.object(value, 'record')
  // A bare flow record (the jsonPayload alone, as some exports write it) is read as well.
  const payload =
    entry.jsonPayload === undefined && entry.connection !== undefined ? entry : entry.jsonPayload
  if (payload === undefined) {
    throw new FlowRecordUnreadableError('jsonPayload: absent: not a VPC flow log LogEntry')
  }
  const flow = readField.object(payload, 'jsonPayload')
  const connection = readField.object(flow.connection, 'jsonPayload.connection')

  const protocol =
    connection.protocol === undefined
      ? 'other'
      : readField.ipProtocol(readField.count(connection.protocol, 'jsonPayload.connection.protocol'))
  let dstPort: number
  if (connection.dest_port !== undefined) {
    dstPort = readField.port(connection.dest_port, 'jsonPayload.connection.dest_port')
  } else if (protocol === 'icmp') {
    // ICMP has no ports; 0 is what flow logs that write one (AWS) write.
    dstPort = 0
  } else {
    throw new FlowRecordUnreadableError(
      'jsonPayload.connection.dest_port: absent: a flow needs a destination port',
    )
  }

  const start =
    flow.start_time !== undefined ? readField.rfc3339(flow.start_time, 'jsonPayload.start_time') : undefined
  const end =
    flow.end_time !== undefined ? readField.rfc3339(flow.end_time, 'jsonPayload.end_time') : undefined
  const ts = start ?? readField.rfc3339(entry.timestamp, 'timestamp')

  let verdict: FlowFields['verdict']
  // Flow logs carry no verdict: ingress is sampled after the firewall (what is logged was let in),
  // egress before it, so an egress sample denied by an egress rule still reads as allowed.
  if (flow.disposition === 'ALLOWED') verdict = 'allowed'
  else if (flow.disposition === 'DENIED') verdict = 'denied'
  else if (flow.disposition !== undefined) {
    throw new FlowRecordUnreadableError('jsonPayload.disposition: not ALLOWED or DENIED')
  }

  // insertId is unique within a log for one timestamp (Cloud Logging's own de-duplication key), so
  // the three together name the entry; without an insertId, the entry's content does.
  const eventId =
    typeof entry.insertId === 'string'
      ? deriveEventId('gcp-vpc-flow', {
          insertId: entry.insertId,
          logName: entry.logName,
          timestamp: entry.timestamp,
        })
      : deriveEventId('gcp-vpc-flow', entry)
  return {
    event_id: eventId,
    ts: Math.floor(ts),
    source: 'gcp-vpc-flow',
    src_identity: identity(flow, 'src'),
    dst_identity: identity(flow, 'dest'),
    src_ip: readField.ip(connection.src_ip, 'jsonPayload.connection.src_ip'),
    dst_ip: readField.ip(connection.dest_ip, 'jsonPayload.connection.dest_ip'),
    src_port:
      connection.src_port === undefined
        ? undefined
        : readField.port(connection.src_port, 'jsonPayload.connection.src_port'),
    dst_port: dstPort,
    protocol,
    verdict,
    bytes_sent:
      flow.bytes_sent === undefined ? undefined : readField.count(flow.bytes_sent, 'jsonPayload.bytes_sent'),
    packets:
      flow.packets_sent === undefined
        ? undefined
        : readField.count(flow.packets_sent, 'jsonPayload.packets_sent'),
    duration_ms:
      start !== undefined && end !== undefined
        ? readField.durationMs(start, end, 'jsonPayload.end_time')
        : undefined,
  }
}

function parse(input: string): ParseResult {
  return parseJsonFlows(input, mapEntry)
}

/** GCP VPC Flow Logs: Cloud Logging LogEntry JSON, one per line or a JSON array. */
export const gcpVpcFlowParser: FormatParser = {
  name: 'gcp-vpc-flow',
  description: 'GCP VPC Flow Logs as Cloud Logging LogEntry JSON (JSON lines or an array)',
  kinds: ['flow'],
  parse,
  splitInput: splitLines,
}
