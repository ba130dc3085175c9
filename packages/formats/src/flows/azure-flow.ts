// Azure Network Watcher flow logs: NSG flow logs (versions 1 and 2) and virtual network (VNet) flow
// logs, as written to the storage account (a PT1H.json blob per hour, one JSON document, records
// one per line or pretty-printed) or streamed (one `{"records":[...]}` document per line):
//
//   body        = document / document *( LF document )
//   document    = { "records": [ record, ... ] }  /  [ record, ... ]  /  record
//
//   nsg record  = { time, resourceId, properties: { Version, flows: [
//                   { rule, flows: [ { mac, flowTuples: [ nsg-tuple, ... ] } ] } ] } }
//   nsg-tuple   = ts "," src-ip "," dst-ip "," src-port "," dst-port "," proto "," dir "," decision
//                 [ "," state "," pkts-s2d "," bytes-s2d "," pkts-d2s "," bytes-d2s ]   ; version 2
//                 ; ts epoch seconds; proto T / U; dir I / O; decision A / D; state B / C / E;
//                 ; counters empty in a B (begin) tuple
//
//   vnet record = { time, flowLogVersion, macAddress, flowLogResourceID, targetResourceID,
//                   flowRecords: { flows: [ { aclID, flowGroups: [ { rule, flowTuples: [ vnet-tuple ] } ] } ] } }
//   vnet-tuple  = ts "," src-ip "," dst-ip "," src-port "," dst-port "," proto "," dir "," state ","
//                 encryption "," pkts-s2d "," bytes-s2d "," pkts-d2s "," bytes-d2s
//                 ; ts epoch milliseconds; proto IANA number; state B / C / E / D (D: denied);
//                 ; encryption X (encrypted) / NX / NX_<reason> (not encrypted, and why)
//
// Each tuple is one flow event. Line numbers are those of the tuple in the input. VNet encryption
// status becomes `encrypted` (X: true; NX and NX_<reason>: false, the reason kept in the raw record).

import { deriveEventId } from '@palisade/schema'
import type { FormatParser, ParseResult } from '../format-parser.ts'
import { type JsonSpan, jsonElementSpans, jsonMemberSpan, jsonValueSpan, lineNumbers } from '../json-spans.ts'
import { readField } from './field-readers.ts'
import { collectFlow, type FlowFields } from './flow-record.ts'
import { FlowRecordUnreadableError } from './flow-record-error.ts'

/** One tuple with what names it: the parts of its record the event id is derived from. */
interface ScopedTuple {
  tuple: string
  scope: Record<string, unknown>
}

/** What differs between NSG and VNet flow logs: where the tuples are, and how one reads. */
interface AzureFlowFormat {
  name: 'azure-nsg-flow' | 'azure-vnet-flow'
  tuplesOf(record: Record<string, unknown>): ScopedTuple[]
  /** `version`: the record's format version, when it gives one. */
  mapTuple(fields: string[], version: number | undefined): Omit<FlowFields, 'event_id' | 'source'>
}

function arrayAt(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new FlowRecordUnreadableError(`${field}: not an array`)
  return value
}

/** An optional counter: empty in begin tuples, where the schema's default (0) is what happened. */
function counter(text: string | undefined, field: string): number | undefined {
  return text === undefined || text === '' ? undefined : readField.count(text, field)
}

function endpoints(fields: string[]) {
  return {
    src_ip: readField.ip(fields[1], 'flowTuple source IP (field 2)'),
    dst_ip: readField.ip(fields[2], 'flowTuple destination IP (field 3)'),
    src_port: readField.port(fields[3], 'flowTuple source port (field 4)'),
    dst_port: readField.port(fields[4], 'flowTuple destination port (field 5)'),
    // A flow tuple is one connection as its initiator opened it, with both directions' counters.
    is_reply: false,
  }
}

function traffic(fields: string[], first: number) {
  const s2dPackets = counter(fields[first], `flowTuple packets source to destination (field ${first + 1})`)
  const d2sPackets = counter(
    fields[first + 2],
    `flowTuple packets destination to source (field ${first + 3})`,
  )
  return {
    bytes_sent: counter(fields[first + 1], `flowTuple bytes source to destination (field ${first + 2})`),
    bytes_received: counter(fields[first + 3], `flowTuple bytes destination to source (field ${first + 4})`),
    packets:
      s2dPackets === undefined && d2sPackets === undefined
        ? undefined
        : (s2dPackets ?? 0) + (d2sPackets ?? 0),
  }
}

function checkDirection(text: string | undefined): void {
  if (text !== 'I' && text !== 'O')
    throw new FlowRecordUnreadableError('flowTuple direction (field 7): not I or O')
}

const nsgFormat: AzureFlowFormat = {
  name: 'azure-nsg-flow',
  tuplesOf(record) {
    if (record.flowRecords !== undefined && record.properties === undefined) {
      throw new FlowRecordUnreadableError(
        'properties.flows: absent: not an NSG flow log record (this is a VNet flow log: send it to azure-vnet-flow)',
      )
    }
    const properties = readField.object(record.properties, 'properties')
    if (properties.flows === undefined) {
      throw new FlowRecordUnreadableError('properties.flows: absent: not an NSG flow log record')
    }
    const tuples: ScopedTuple[] = []
    for (const ruleFlows of arrayAt(properties.flows, 'properties.flows')) {
      const rule = readField.object(ruleFlows, 'properties.flows[]')
      for (const macFlows of arrayAt(rule.flows, 'properties.flows[].flows')) {
        const mac = readField.object(macFlows, 'properties.flows[].flows[]')
        for (const tuple of arrayAt(mac.flowTuples, 'properties.flows[].flows[].flowTuples')) {
          if (typeof tuple !== 'string')
            throw new FlowRecordUnreadableError('flowTuples: not an array of strings')
          tuples.push({
            tuple,
            scope: {
              resourceId: record.resourceId,
              time: record.time,
              rule: rule.rule,
              mac: mac.mac,
              version: properties.Version,
            },
          })
        }
      }
    }
    return tuples
  },
  mapTuple(fields, recordVersion) {
    // A record without its Version is read by its tuples' length, which tells the two apart.
    const version = recordVersion ?? (fields.length === 8 ? 1 : 2)
    const expected = version >= 2 ? 13 : 8
    if (fields.length !== expected) {
      throw new FlowRecordUnreadableError(
        `flowTuple: ${fields.length} fields, an NSG version ${version} tuple has ${expected}`,
      )
    }
    const protocol = fields[5] === 'T' ? 'tcp' : fields[5] === 'U' ? 'udp' : undefined
    if (protocol === undefined)
      throw new FlowRecordUnreadableError('flowTuple protocol (field 6): not T or U')
    checkDirection(fields[6])
    const decision = fields[7]
    if (decision !== 'A' && decision !== 'D') {
      throw new FlowRecordUnreadableError('flowTuple decision (field 8): not A or D')
    }
    if (version >= 2 && !['B', 'C', 'E'].includes(fields[8]!)) {
      throw new FlowRecordUnreadableError('flowTuple state (field 9): not B, C or E')
    }
    return {
      ts: readField.count(fields[0], 'flowTuple time (field 1, epoch seconds)') * 1000,
      ...endpoints(fields),
      protocol,
      verdict: decision === 'A' ? 'allowed' : 'denied',
      ...(version >= 2 ? traffic(fields, 9) : {}),
    }
  },
}

const vnetFormat: AzureFlowFormat = {
  name: 'azure-vnet-flow',
  tuplesOf(record) {
    if (record.flowRecords === undefined) {
      const hint =
        record.properties === undefined ? '' : ' (this is an NSG flow log: send it to azure-nsg-flow)'
      throw new FlowRecordUnreadableError(`flowRecords: absent: not a VNet flow log record${hint}`)
    }
    const flowRecords = readField.object(record.flowRecords, 'flowRecords')
    const tuples: ScopedTuple[] = []
    for (const aclFlows of arrayAt(flowRecords.flows, 'flowRecords.flows')) {
      const acl = readField.object(aclFlows, 'flowRecords.flows[]')
      for (const groupValue of arrayAt(acl.flowGroups, 'flowRecords.flows[].flowGroups')) {
        const group = readField.object(groupValue, 'flowRecords.flows[].flowGroups[]')
        for (const tuple of arrayAt(group.flowTuples, 'flowRecords.flows[].flowGroups[].flowTuples')) {
          if (typeof tuple !== 'string')
            throw new FlowRecordUnreadableError('flowTuples: not an array of strings')
          tuples.push({
            tuple,
            scope: {
              flowLogResourceID: record.flowLogResourceID,
              targetResourceID: record.targetResourceID,
              macAddress: record.macAddress,
              time: record.time,
              aclID: acl.aclID,
              rule: group.rule,
              version: record.flowLogVersion,
            },
          })
        }
      }
    }
    return tuples
  },
  mapTuple(fields) {
    if (fields.length !== 13) {
      throw new FlowRecordUnreadableError(`flowTuple: ${fields.length} fields, a VNet flow log tuple has 13`)
    }
    checkDirection(fields[6])
    const state = fields[7]
    if (state !== 'B' && state !== 'C' && state !== 'E' && state !== 'D') {
      throw new FlowRecordUnreadableError('flowTuple state (field 8): not B, C, E or D')
    }
    if (!/^N?X(?:_[A-Z_]+)?$/.test(fields[8]!)) {
      throw new FlowRecordUnreadableError('flowTuple encryption (field 9): not X, NX or NX_<reason>')
    }
    return {
      ts: readField.count(fields[0], 'flowTuple time (field 1, epoch milliseconds)'),
      ...endpoints(fields),
      protocol: readField.ipProtocol(readField.count(fields[5], 'flowTuple protocol (field 6)')),
      // D is the only deny: flows begin, continue and end only when allowed.
      verdict: state === 'D' ? 'denied' : 'allowed',
      encrypted: fields[8] === 'X',
      ...traffic(fields, 9),
    }
  },
}

/** A JSON document of a body: its value and where its text starts. */
interface Document {
  value: unknown
  start: number
}

/** The documents of a body: one, or one per line (unreadable lines go to `result.rejected`). */
function documents(input: string, result: ParseResult): Document[] {
  const trimmed = input.trim()
  if (trimmed === '') return []
  try {
    return [{ value: JSON.parse(trimmed), start: input.indexOf(trimmed[0]!) }]
  } catch (wholeError) {
    const lines: (Document & { line: number; raw: string; reason?: string })[] = []
    let start = 0
    input.split('\n').forEach((text, index) => {
      const raw = text.replace(/\r$/, '')
      if (raw.trim() !== '') {
        try {
          lines.push({ line: index + 1, raw, start, value: JSON.parse(raw) })
        } catch (error) {
          lines.push({
            line: index + 1,
            raw,
            start,
            value: undefined,
            reason: `not valid JSON: ${(error as Error).message}`,
          })
        }
      }
      start += text.length + 1
    })
    // No line is a document of its own either (a pretty-printed blob cut short, whose lines are
    // fragments, a few of them valid JSON scalars): one broken document, one rejection.
    const readable = lines.filter((line) => line.reason === undefined)
    if (!readable.some((line) => line.value !== null && typeof line.value === 'object')) {
      result.rejected.push({
        line: 1,
        raw: input,
        reason: `not valid JSON: ${(wholeError as Error).message}`,
      })
      return []
    }
    for (const line of lines) {
      if (line.reason !== undefined)
        result.rejected.push({ line: line.line, raw: line.raw, reason: line.reason })
    }
    return readable
  }
}

/** A record of a document: its value, its source text's span, and where it is (`records[3]`). */
interface PlacedRecord {
  value: unknown
  span: JsonSpan
  pointer: string
}

/**
 * The records of a document with their spans: the elements of a `{"records":[...]}` envelope or of
 * an array (nested arrays flattened), else the document itself.
 */
function recordsOf(input: string, value: unknown, span: JsonSpan, pointer: string): PlacedRecord[] {
  if (Array.isArray(value)) {
    const spans = jsonElementSpans(input, span.start)
    return value.flatMap((element, index) => recordsOf(input, element, spans[index]!, `${pointer}[${index}]`))
  }
  const object = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined
  if (object !== undefined && Array.isArray(object.records)) {
    const spans = jsonElementSpans(input, jsonMemberSpan(input, span.start, 'records')!.start)
    return object.records.map((element, index) => ({
      value: element,
      span: spans[index]!,
      pointer: `${pointer}.records[${index}]`,
    }))
  }
  return [{ value, span, pointer }]
}

/** "records[3]: " when a document holds many records (the line alone does not say which), else "". */
function placeOf(record: PlacedRecord): string {
  const pointer = record.pointer.replace(/^\./, '')
  return pointer === '' ? '' : `${pointer}: `
}

function parseWith(format: AzureFlowFormat, input: string): ParseResult {
  const result: ParseResult = { records: [], rejected: [] }
  const lineOf = lineNumbers(input)
  for (const document of documents(input, result)) {
    for (const record of recordsOf(input, document.value, jsonValueSpan(input, document.start), '')) {
      // Quarantined as received, numbered by the line where it starts.
      const text = input.slice(record.span.start, record.span.end)
      let tuples: ScopedTuple[]
      try {
        tuples = format.tuplesOf(readField.object(record.value, 'record'))
      } catch (error) {
        if (!(error instanceof FlowRecordUnreadableError)) throw error
        result.rejected.push({
          line: lineOf(record.span.start),
          raw: text,
          reason: `${placeOf(record)}${error.message}`,
        })
        continue
      }
      // Tuples are found in the record's text in order; past each match, so that a repeated tuple
      // is found at its own place. A JSON string holds no raw newline: the line is the match's.
      let cursor = record.span.start
      tuples.forEach(({ tuple, scope }, index) => {
        const at = input.indexOf(JSON.stringify(tuple), cursor)
        if (at >= 0 && at < record.span.end) cursor = at + 1
        const before = result.rejected.length
        collectFlow(result, lineOf(cursor - 1), tuple, () => {
          const version = scope.version === undefined ? undefined : readField.count(scope.version, 'version')
          return {
            event_id: deriveEventId(format.name, { ...scope, tuple }),
            source: format.name,
            ...format.mapTuple(tuple.split(','), version),
          }
        })
        const rejected = result.rejected[before]
        if (rejected) rejected.reason = `${placeOf(record)}tuple ${index + 1}: ${rejected.reason}`
      })
    }
  }
  return result
}

/** Azure NSG flow logs, versions 1 and 2: each flow tuple is an event. */
export const azureNsgFlowParser: FormatParser = {
  name: 'azure-nsg-flow',
  description:
    'Azure NSG flow logs v1/v2 ({"records":[...]} blobs or streamed documents), one event per flow tuple',
  kinds: ['flow'],
  parse: (input) => parseWith(nsgFormat, input),
}

/** Azure virtual network (VNet) flow logs: each flow tuple is an event, with its encryption status. */
export const azureVnetFlowParser: FormatParser = {
  name: 'azure-vnet-flow',
  description:
    'Azure VNet flow logs ({"records":[...]} blobs or streamed documents), one event per flow tuple',
  kinds: ['flow'],
  parse: (input) => parseWith(vnetFormat, input),
}
