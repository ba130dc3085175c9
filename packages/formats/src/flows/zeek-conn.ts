// Zeek conn.log, in either of Zeek's writers (told apart line by line):
//
//   tsv       = header *( record / "#close" ... / header ) ; ASCII writer; a file may hold several logs
//   header    = "#separator" SP sep-escaped LF             ; e.g. `#separator \x09`
//               *( "#" directive *( sep value ) LF )       ; #set_separator #empty_field #unset_field
//                                                           ; #path #open #fields #types
//   record    = value *( sep value )                       ; one value per #fields name; #unset_field
//                                                           ; ("-") is absent, #empty_field an empty set
//   json      = "{" ... "}" *( LF "{" ... "}" )            ; JSON writer: one object per line, keys as
//                                                           ; in #fields ("id.orig_h"), ts as epoch
//                                                           ; seconds, epoch ms (JSON::TS_MILLIS) or
//                                                           ; ISO 8601 (JSON::TS_ISO8601); json-streaming
//                                                           ; logs add _path, _write_ts, ...
//   conn      = ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes
//               resp_bytes conn_state local_orig local_resp missed_bytes history orig_pkts
//               orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents [ip_proto] ...
//
// Other "#" lines (btest banners, #open/#close) are ignored. `uid` is the connection's own id.
// Zeek observes, it does not enforce: the verdict is read from how the connection went. REJ (the
// responder answered the SYN with a reset: refused) is denied; S0 over TCP (a SYN never answered:
// filtered on the way, or nobody there) is dropped; everything else carried traffic and is allowed.
// S0 over UDP is not a drop: one-way UDP (broadcasts, DHCP discovers) is normal. For ICMP Zeek puts
// the type and code in the port fields; they are not ports, so dst_port is 0 and src_port absent.

import { deriveEventId } from '@palisade/schema'
import type { FormatParser, ParseResult } from '../format-parser.ts'
import { readField } from './field-readers.ts'
import { collectFlow, type FlowFields, parseJsonFlows } from './flow-record.ts'
import { FlowRecordUnreadableError } from './flow-record-error.ts'
import { splitWithHeader } from './split-with-header.ts'

/** The state a TSV header sets for the records after it. */
interface TsvHeader {
  separator: string
  unsetField: string
  fields?: string[]
  path?: string
}

const freshHeader = (separator = '\t'): TsvHeader => ({ separator, unsetField: '-' })

/** `\x09` → tab: Zeek writes the separator escaped in its own directive. */
function unescapeSeparator(text: string): string {
  return text.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  )
}

/** conn.log and the variants some deployments write beside it (conn_long, conn_red). */
function isConnPath(path: string): boolean {
  return /^conn(?:[_-].*)?$/.test(path)
}

function mapConn(
  get: (name: string) => unknown,
  record: Record<string, unknown>,
  readTs: (value: unknown) => number,
): FlowFields {
  const proto = get('proto')
  const protocol = proto === 'tcp' || proto === 'udp' || proto === 'icmp' ? proto : 'other'
  const connState = get('conn_state')
  let verdict: FlowFields['verdict']
  if (connState === 'REJ') verdict = 'denied'
  else if (connState === 'S0' && protocol === 'tcp') verdict = 'dropped'
  const origPkts = get('orig_pkts')
  const respPkts = get('resp_pkts')
  const packets =
    origPkts === undefined && respPkts === undefined
      ? undefined
      : (origPkts === undefined ? 0 : readField.count(origPkts, 'orig_pkts')) +
        (respPkts === undefined ? 0 : readField.count(respPkts, 'resp_pkts'))
  const uid = get('uid')
  const duration = get('duration')
  const origBytes = get('orig_bytes')
  const respBytes = get('resp_bytes')
  return {
    event_id: typeof uid === 'string' && uid !== '' ? uid : deriveEventId('zeek-conn', record),
    ts: Math.floor(readTs(get('ts'))),
    source: 'zeek-conn',
    src_ip: readField.ip(get('id.orig_h'), 'id.orig_h'),
    dst_ip: readField.ip(get('id.resp_h'), 'id.resp_h'),
    src_port: protocol === 'icmp' ? undefined : readField.port(get('id.orig_p'), 'id.orig_p'),
    dst_port: protocol === 'icmp' ? 0 : readField.port(get('id.resp_p'), 'id.resp_p'),
    // conn.log summarises a whole connection from its originator (Zeek flips it, `^` in history,
    // when it saw the responder first): never a reply, and the responder's port is the server's.
    is_reply: false,
    protocol,
    verdict,
    bytes_sent: origBytes === undefined ? undefined : readField.count(origBytes, 'orig_bytes'),
    bytes_received: respBytes === undefined ? undefined : readField.count(respBytes, 'resp_bytes'),
    packets,
    duration_ms: duration === undefined ? undefined : readField.seconds(duration, 'duration'),
  }
}

/** JSON-writer `ts`: epoch seconds, epoch ms (a number too large to be seconds), or ISO 8601. */
function readJsonTs(value: unknown): number {
  // 1e11 epoch seconds is the year 5138 and 1e11 epoch ms is 1973: the two cannot be confused.
  if (typeof value === 'number' && value >= 1e11) return readField.count(Math.floor(value), 'ts')
  if (typeof value === 'string' && value.includes('T')) return readField.rfc3339(value, 'ts')
  return readField.epochSeconds(value, 'ts')
}

function mapJson(value: unknown): FlowFields {
  const record = readField.object(value, 'record')
  if (typeof record._path === 'string' && !isConnPath(record._path)) {
    throw new FlowRecordUnreadableError('_path: not conn: zeek-conn reads conn.log only')
  }
  // Some shippers nest the connection id (`"id":{"orig_h":...}`) instead of dotting its keys.
  const id =
    record.id !== null && typeof record.id === 'object' ? (record.id as Record<string, unknown>) : undefined
  const get = (name: string) => {
    const value = record[name] ?? (name.startsWith('id.') ? id?.[name.slice(3)] : undefined)
    return value === null ? undefined : value
  }
  return mapConn(get, record, readJsonTs)
}

function mapTsv(line: string, header: TsvHeader): FlowFields {
  if (header.fields === undefined) {
    throw new FlowRecordUnreadableError(
      'no #fields header line before this record: Zeek TSV is read by its header',
    )
  }
  if (header.path !== undefined && !isConnPath(header.path)) {
    throw new FlowRecordUnreadableError('#path: not conn: zeek-conn reads conn.log only')
  }
  const values = line.split(header.separator)
  if (values.length !== header.fields.length) {
    throw new FlowRecordUnreadableError(
      `record has ${values.length} columns, #fields names ${header.fields.length}`,
    )
  }
  const record: Record<string, string> = {}
  header.fields.forEach((name, index) => {
    record[name] = values[index]!
  })
  const get = (name: string) => (record[name] === header.unsetField ? undefined : record[name])
  // The ASCII writer always writes time as epoch seconds.
  return mapConn(get, record, (value) => readField.epochSeconds(value, 'ts'))
}

function parse(input: string): ParseResult {
  const result: ParseResult = { records: [], rejected: [] }
  if (input.trimStart().startsWith('[')) return parseJsonFlows(input, mapJson)
  let header = freshHeader()
  const lines = input.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!.replace(/\r$/, '')
    if (raw.trim() === '') continue
    if (raw.startsWith('#separator ')) {
      // A #separator line opens a new log's header: nothing of the previous one carries over.
      header = freshHeader(unescapeSeparator(raw.slice('#separator '.length)))
      continue
    }
    if (raw.startsWith('#')) {
      const [directive, ...values] = raw.split(header.separator)
      if (directive === '#fields') header.fields = values
      else if (directive === '#path') header.path = values[0]
      else if (directive === '#unset_field' && values[0] !== undefined) header.unsetField = values[0]
      continue
    }
    if (raw.trimStart().startsWith('{')) {
      let value: unknown
      try {
        value = JSON.parse(raw)
      } catch (error) {
        result.rejected.push({ line: index + 1, raw, reason: `not valid JSON: ${(error as Error).message}` })
        continue
      }
      collectFlow(result, index + 1, raw, () => mapJson(value))
      continue
    }
    collectFlow(result, index + 1, raw, () => mapTsv(raw, header))
  }
  return result
}

/** Zeek conn.log: the ASCII writer's TSV (read by its #fields header) or the JSON writer's lines. */
export const zeekConnParser: FormatParser = {
  name: 'zeek-conn',
  description: 'Zeek conn.log, TSV with its #fields header or JSON lines',
  kinds: ['flow'],
  parse,
  splitInput: (input, maxChars) =>
    input.trimStart().startsWith('[')
      ? [{ text: input, firstLine: 1 }]
      : splitWithHeader(input, maxChars, (line) => line.startsWith('#')),
}
