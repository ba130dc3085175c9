// AWS VPC flow logs (and Transit Gateway flow logs, which share the grammar), plain-text delivery
// to S3 or CloudWatch Logs:
//
//   file    = *( header / record / blank-line )
//   header  = field-name *( SP field-name )   ; S3 objects begin with one; concatenated objects repeat it
//   record  = value *( SP value )             ; one value per field of the format, in the format's order
//   value   = "-" / token                     ; "-": the field does not apply to this record
//
// The default format is version 2: `version account-id interface-id srcaddr dstaddr srcport dstport
// protocol packets bytes start end action log-status`. Custom formats (versions 3-8 and later) pick
// any fields in any order; `version` is then the highest version among them. A header line names
// the fields of the records after it; records before any header are read with `options.fields`
// (the flow log's LogFormat, `${a} ${b}` or `a b` or `a,b`), else with the default format.
// log-status is OK, NODATA (no traffic in the window) or SKIPDATA (records lost at the source).

import { deriveEventId } from '@palisade/schema'
import type { FormatParser, ParseOptions, ParseResult } from '../format-parser.ts'
import { readField } from './field-readers.ts'
import { collectFlow, type FlowFields } from './flow-record.ts'
import { FlowRecordUnreadableError } from './flow-record-error.ts'
import { splitWithHeader } from './split-with-header.ts'

const defaultFields = [
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
]

// Every field AWS documents for VPC (v2-v10) and Transit Gateway flow logs. A header line is
// recognised by holding only field-shaped names, at least one of them known; unknown names (fields
// AWS adds later) are kept in the record and its id.
const knownFields = new Set([
  ...defaultFields,
  ...['vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'type', 'pkt-srcaddr', 'pkt-dstaddr'],
  ...['region', 'az-id', 'sublocation-type', 'sublocation-id', 'pkt-src-aws-service', 'pkt-dst-aws-service'],
  ...['flow-direction', 'traffic-path', 'ecs-cluster-arn', 'ecs-cluster-name', 'ecs-container-instance-arn'],
  ...['ecs-container-instance-id', 'ecs-container-id', 'ecs-second-container-id', 'ecs-service-name'],
  ...['ecs-task-definition-arn', 'ecs-task-arn', 'ecs-task-id', 'reject-reason', 'resource-id'],
  ...['encryption-status', 'resource-type', 'tgw-id', 'tgw-attachment-id', 'tgw-src-vpc-account-id'],
  ...['tgw-dst-vpc-account-id', 'tgw-src-vpc-id', 'tgw-dst-vpc-id', 'tgw-src-subnet-id', 'tgw-dst-subnet-id'],
  ...['tgw-src-eni', 'tgw-dst-eni', 'tgw-src-az-id', 'tgw-dst-az-id', 'tgw-pair-attachment-id'],
  ...['packets-lost-no-route', 'packets-lost-blackhole', 'packets-lost-mtu-exceeded'],
  'packets-lost-ttl-expired',
])
const fieldName = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/

function isHeader(tokens: string[]): boolean {
  return tokens.every((token) => fieldName.test(token)) && tokens.some((token) => knownFields.has(token))
}

function isHeaderLine(line: string): boolean {
  const trimmed = line.trim()
  return trimmed !== '' && isHeader(trimmed.split(/\s+/))
}

/** The field list of `options.fields`, or the reason it cannot be used. */
function fieldsOption(text: string): { fields: string[] } | { problem: string } {
  const fields = text
    .replace(/\$\{([^}]*)\}/g, '$1')
    .split(/[\s,]+/)
    .filter((name) => name !== '')
  if (fields.length === 0) return { problem: 'options.fields: no field names' }
  if (!fields.every((name) => fieldName.test(name))) {
    return { problem: 'options.fields: not a list of flow log field names (`version account-id ...`)' }
  }
  return { fields }
}

function mapRecord(tokens: string[], fields: string[], fieldsFrom: string): FlowFields {
  if (tokens.length !== fields.length) {
    throw new FlowRecordUnreadableError(
      `record has ${tokens.length} fields, ${fieldsFrom} names ${fields.length}: give the flow log's format in options.fields, or keep its header line`,
    )
  }
  const record: Record<string, string> = {}
  fields.forEach((name, index) => {
    record[name] = tokens[index]!
  })
  const value = (name: string): string | undefined => {
    const text = record[name]
    return text === '-' ? undefined : text
  }

  // NODATA and SKIPDATA records describe the capture window, not a flow: their address and counter
  // fields are "-" (or, in some synthetic samples, copies of another record). Skipping them would
  // hide that the window had no data, or lost some; mapping them would invent a flow. So they are
  // rejected, and the quarantine keeps them with the reason (a SKIPDATA there means flows were lost).
  const logStatus = value('log-status')
  if (logStatus === 'NODATA') {
    throw new FlowRecordUnreadableError('log-status NODATA: no traffic in the capture window, not a flow')
  }
  if (logStatus === 'SKIPDATA') {
    throw new FlowRecordUnreadableError(
      'log-status SKIPDATA: AWS skipped flow records in the capture window (capacity or internal error); the flows were not delivered',
    )
  }

  const startText = value('start')
  const endText = value('end')
  if (startText === undefined && endText === undefined) {
    throw new FlowRecordUnreadableError('start: absent, and no end either: a flow needs a time')
  }
  const start = startText === undefined ? undefined : readField.epochSeconds(startText, 'start')
  const end = endText === undefined ? undefined : readField.epochSeconds(endText, 'end')

  const protocolText = value('protocol')
  // A record without a protocol is "other", never the schema's default (tcp), which would be a guess.
  const protocol =
    protocolText === undefined ? 'other' : readField.ipProtocol(readField.count(protocolText, 'protocol'))

  const dstportText = value('dstport')
  let dstPort: number
  if (dstportText !== undefined) dstPort = readField.port(dstportText, 'dstport')
  // ICMP has no ports; AWS writes 0, and a "-" there means the same.
  else if (protocol === 'icmp') dstPort = 0
  else throw new FlowRecordUnreadableError('dstport: absent: a flow needs a destination port')

  const action = value('action')
  let verdict: FlowFields['verdict']
  // ACCEPT and REJECT are what the security groups and network ACLs did. Transit Gateway records
  // have no action (the gateway forwards): the schema's default, allowed, is what happened.
  if (action === 'ACCEPT') verdict = 'allowed'
  else if (action === 'REJECT') verdict = 'denied'
  else if (action !== undefined) throw new FlowRecordUnreadableError('action: not ACCEPT or REJECT')

  const srcaddr = value('srcaddr')
  const dstaddr = value('dstaddr')
  const srcport = value('srcport')
  const bytes = value('bytes')
  const packets = value('packets')
  const tcpFlags = value('tcp-flags')
  return {
    event_id: deriveEventId('aws-vpc-flow', record),
    ts: Math.floor(start ?? end!),
    source: 'aws-vpc-flow',
    src_ip: srcaddr === undefined ? undefined : readField.ip(srcaddr, 'srcaddr'),
    dst_ip: dstaddr === undefined ? undefined : readField.ip(dstaddr, 'dstaddr'),
    src_port: srcport === undefined ? undefined : readField.port(srcport, 'srcport'),
    dst_port: dstPort,
    protocol,
    ...sideByTcpFlags(protocol, tcpFlags),
    verdict,
    // A record counts one direction of one 5-tuple on one interface: its bytes are the source's.
    bytes_sent: bytes === undefined ? undefined : readField.count(bytes, 'bytes'),
    packets: packets === undefined ? undefined : readField.count(packets, 'packets'),
    duration_ms:
      start !== undefined && end !== undefined ? readField.durationMs(start, end, 'end') : undefined,
  }
}

/**
 * The side a TCP record shows when its `tcp-flags` (v3+) say: AWS reports only FIN (1), SYN (2),
 * RST (4) and SYN-ACK (18), OR-ed over the capture window, so the ACK bit appears only with a
 * SYN-ACK, which only the server sends; a SYN without it is the client opening. Otherwise the
 * ports decide (`sideByPorts`, in collectFlow).
 */
function sideByTcpFlags(protocol: FlowFields['protocol'], text: string | undefined): { is_reply?: boolean } {
  if (protocol !== 'tcp' || text === undefined) return {}
  const flags = readField.count(text, 'tcp-flags')
  if ((flags & 16) !== 0) return { is_reply: true }
  if ((flags & 2) !== 0) return { is_reply: false }
  return {}
}

function parse(input: string, options?: ParseOptions): ParseResult {
  const result: ParseResult = { records: [], rejected: [] }
  let fields = defaultFields
  let fieldsFrom = 'the default format (version 2)'
  let optionsProblem: string | undefined
  if (options?.fields !== undefined) {
    const parsed = fieldsOption(options.fields)
    if ('problem' in parsed) optionsProblem = parsed.problem
    else {
      fields = parsed.fields
      fieldsFrom = 'options.fields'
    }
  }
  const lines = input.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!.replace(/\r$/, '')
    const trimmed = raw.trim()
    if (trimmed === '') continue
    // Values are separated by one space; runs of blanks occur in hand-edited samples and mean one.
    const tokens = trimmed.split(/\s+/)
    if (isHeader(tokens)) {
      // The file describes itself: its header wins over options.fields for the records after it.
      fields = tokens
      fieldsFrom = 'the header line'
      optionsProblem = undefined
      continue
    }
    if (optionsProblem !== undefined) {
      result.rejected.push({ line: index + 1, raw, reason: optionsProblem })
      continue
    }
    collectFlow(result, index + 1, raw, () => mapRecord(tokens, fields, fieldsFrom))
  }
  return result
}

/** AWS VPC and Transit Gateway flow logs, plain text: default v2 and custom formats, by header line or `options.fields`. */
export const awsVpcFlowParser: FormatParser = {
  name: 'aws-vpc-flow',
  description:
    'AWS VPC / Transit Gateway flow logs as delivered (space-separated; header line, or options.fields, else the v2 default format)',
  kinds: ['flow'],
  options: ['fields'],
  parse,
  splitInput: (input, maxChars) => splitWithHeader(input, maxChars, isHeaderLine),
}
