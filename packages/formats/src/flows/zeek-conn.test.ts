// Fixtures (../shared/fixtures/zeek-conn):
// - brimdata-zed-conn.log: brimdata/zed, conn.log @ 3d4cd92f87d9 (BSD-3-Clause; traffic from the
//   WRCCDC 2018 pcaps, CC BY-SA 4.0 via brimdata/zed-sample-data).
// - brimdata-zed-docs-conn.ndjson: brimdata/zed, docs/integrations/zeek/reading-zeek-log-formats.md
//   @ a36339b8b066 (BSD-3-Clause).
// - zeek-baseline-core.{cisco-fabric-path,tunnels.teredo}.conn.log: zeek/zeek,
//   testing/btest/Baseline/core.{cisco-fabric-path,tunnels.teredo}/conn.log @ a13de64fbbdb (BSD-style).
// - zeek-files-zeek-cut-logs.conn.log: zeek/zeek, testing/btest/Files/zeek-cut-logs/conn.log
//   @ a13de64fbbdb (BSD-style).
// - zeek-docs-conn-examples.json.log: zeek/zeek, doc/reference/logs/*.rst @ a13de64fbbdb (CC BY 4.0).
// - elastic-test-conn.json.log: elastic/integrations,
//   packages/zeek/data_stream/connection/_dev/test/pipeline/test-conn.log @ 811c7f0405ac (Elastic License 2.0).
import { describe, expect, it } from 'vitest'
import { readSharedFixture, sharedFixturesAvailable } from '../testing/shared-fixtures.ts'
import { expectStableIds } from './testing/expect-stable-ids.ts'
import { expectValidFlows } from './testing/expect-valid-flows.ts'
import { zeekConnParser } from './zeek-conn.ts'

const parse = zeekConnParser.parse

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))('zeek-conn > shared fixtures', () => {
  it('reads the 92 rows of a real TSV log by its #fields header', () => {
    const text = readSharedFixture('zeek-conn/brimdata-zed-conn.log')
    const result = parse(text)
    expect(result.rejected).toEqual([])
    expect(result.records).toHaveLength(92)
    expect(result.records[0]!.line).toBe(9)
    expect(result.records[0]!.event).toEqual({
      event_id: 'C8Tful1TvM3Zf5x8fl',
      ts: 1521911721255,
      source: 'zeek-conn',
      src_ip: '10.164.94.120',
      dst_ip: '10.47.3.155',
      src_port: 39681,
      dst_port: 3389,
      protocol: 'tcp',
      // conn.log reads from the originator: the request side, to the responder's port.
      is_reply: false,
      server_port: 3389,
      bytes_sent: 97,
      bytes_received: 19,
      packets: 16,
      duration_ms: 4.266,
    })
    // REJ: the responder refused the SYN.
    expect(result.records[1]!.event).toMatchObject({ event_id: 'CXWfTK3LRdiuQxBbM6', verdict: 'denied' })
    expect(result.records.filter((record) => record.event.verdict === 'denied')).toHaveLength(5)
    // S0 over TCP: the SYN was never answered.
    expect(result.records.filter((record) => record.event.verdict === 'dropped')).toHaveLength(56)
    expectValidFlows(result)
    expect(expectStableIds(zeekConnParser, text)).toHaveLength(92)
  })

  it('reads the same connection from the JSON writer with the same id and time', () => {
    const json = parse(readSharedFixture('zeek-conn/brimdata-zed-docs-conn.ndjson'))
    const tsv = parse(readSharedFixture('zeek-conn/brimdata-zed-conn.log'))
    expect(json.rejected).toEqual([])
    // The JSON duration has more digits than the TSV's six.
    const { duration_ms: jsonDuration, ...jsonEvent } = json.records[0]!.event
    const { duration_ms: tsvDuration, ...tsvEvent } = tsv.records[0]!.event
    expect(jsonEvent).toEqual(tsvEvent)
    expect(jsonDuration).toBeCloseTo(tsvDuration as number, 3)
  })

  it('reads an older 20-column schema (no local_resp, no ip_proto)', () => {
    const text = readSharedFixture('zeek-conn/zeek-files-zeek-cut-logs.conn.log')
    const result = parse(text)
    expect(result.rejected).toEqual([])
    expect(result.records).toHaveLength(5)
    expect(result.records[4]!.event).toMatchObject({
      event_id: 'CXWv6p3arKYeMETxOg',
      ts: 1329843161968,
      dst_port: 21,
      bytes_sent: 180,
      bytes_received: 3146,
      packets: 63,
      duration_ms: 38055.625,
    })
    expectValidFlows(result)
    expectStableIds(zeekConnParser, text)
  })

  it.each([
    ['zeek-baseline-core.cisco-fabric-path.conn.log', 64],
    ['zeek-baseline-core.tunnels.teredo.conn.log', 21],
  ])(
    'rejects every row of the btest baseline %s: its ts is canonified to XXXXXXXXXX.XXXXXX',
    (file, count) => {
      const result = parse(readSharedFixture(`zeek-conn/${file}`))
      expect(result.records).toEqual([])
      expect(result.rejected).toHaveLength(count)
      expect(new Set(result.rejected.map(({ reason }) => reason))).toEqual(
        new Set(['ts: not a number of epoch seconds']),
      )
      expect(result.rejected[0]!.raw.startsWith('XXXXXXXXXX.XXXXXX\t')).toBe(true)
    },
  )

  it('reads the JSON lines of the Elastic tests: epoch and ISO times, ICMP, port 0', () => {
    const text = readSharedFixture('zeek-conn/elastic-test-conn.json.log')
    const result = parse(text)
    expect(result.rejected).toEqual([])
    expect(result.records).toHaveLength(18)
    expect(result.records[0]!.event).toMatchObject({
      event_id: 'CAcJw21BbVedgFnYH3',
      ts: 1547188415857,
      src_ip: '192.168.86.167',
      dst_ip: '192.168.86.1',
      src_port: 38339,
      dst_port: 53,
      protocol: 'udp',
      bytes_sent: 75,
      bytes_received: 178,
      packets: 2,
      duration_ms: 76.967,
    })
    // ICMP: Zeek's "ports" 3/3 are type and code.
    expect(result.records[3]!.event).toMatchObject({ protocol: 'icmp', dst_port: 0 })
    expect(result.records[3]!.event.src_port).toBeUndefined()
    expect(result.records[16]!.event).toMatchObject({
      event_id: 'C2KP1V3alRLoxl4JB9',
      ts: Date.parse('2021-06-09T20:55:13.160Z'),
    })
    expect(result.records[17]!.event).toMatchObject({ src_port: 0, dst_port: 0, protocol: 'tcp' })
    expectValidFlows(result)
    expectStableIds(zeekConnParser, text)
  })

  it('reads the documentation examples: json-streaming fields, unknown transports, UDP S0 as allowed', () => {
    const text = readSharedFixture('zeek-conn/zeek-docs-conn-examples.json.log')
    const result = parse(text)
    expect(result.rejected).toEqual([])
    expect(result.records).toHaveLength(23)
    const ospf = result.records.find((record) => record.event.event_id === 'C9EV8R4fN8bfSj08f')!
    expect(ospf.event).toMatchObject({ protocol: 'other', dst_port: 0, ts: 1098361214420 })
    const dhcp = result.records.find((record) => record.event.event_id === 'COoA8M1gbTowuPlVT')!
    expect(dhcp.event.verdict).toBeUndefined()
    const streamed = result.records.find((record) => record.event.event_id === 'CLkXf2CMo11hD8FQ5')!
    expect(streamed.event).toMatchObject({ dst_port: 21, ts: Date.parse('2020-08-16T06:26:01.485Z') })
    expectValidFlows(result)
    expectStableIds(zeekConnParser, text)
  })
})

describe('zeek-conn > edge cases', () => {
  const header = [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_bytes\tresp_bytes\tconn_state',
    '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\tcount\tcount\tstring',
  ]
  const row = (fields: Partial<Record<string, string>> = {}) =>
    [
      fields.ts ?? '1700000000.000001',
      fields.uid ?? 'CAbc',
      fields.orig_h ?? '10.0.0.1',
      fields.orig_p ?? '40000',
      fields.resp_h ?? '10.0.0.2',
      fields.resp_p ?? '443',
      fields.proto ?? 'tcp',
      fields.duration ?? '-',
      fields.orig_bytes ?? '-',
      fields.resp_bytes ?? '-',
      fields.conn_state ?? 'SF',
    ].join('\t')

  it('reads unset values as absent', () => {
    const result = parse([...header, row()].join('\n'))
    expect(result.records[0]!.event).toEqual({
      event_id: 'CAbc',
      ts: 1700000000000,
      source: 'zeek-conn',
      src_ip: '10.0.0.1',
      dst_ip: '10.0.0.2',
      src_port: 40000,
      dst_port: 443,
      protocol: 'tcp',
      is_reply: false,
      server_port: 443,
    })
    expectValidFlows(result)
  })

  it('names the column of a bad value, one row at a time', () => {
    const result = parse(
      [
        ...header,
        row({ resp_p: '99999' }),
        row({ orig_h: 'host.example' }),
        row({ orig_bytes: '-1' }),
        row({ duration: 'long' }),
        `${row()}\textra`,
        row({ ts: '' }),
      ].join('\n'),
    )
    expect(result.rejected.map(({ line, reason }) => [line, reason])).toEqual([
      [8, 'id.resp_p: not a port number (0-65535)'],
      [9, 'id.orig_h: not an IP address'],
      [10, 'orig_bytes: not a non-negative integer'],
      [11, 'duration: not a number of seconds'],
      [12, 'record has 12 columns, #fields names 11'],
      [13, 'ts: not a number of epoch seconds'],
    ])
  })

  it('rejects TSV rows before any #fields header, and rows of another log', () => {
    expect(parse(row()).rejected[0]!.reason).toBe(
      'no #fields header line before this record: Zeek TSV is read by its header',
    )
    const http = header.map((line) => line.replace('#path\tconn', '#path\thttp'))
    expect(parse([...http, row()].join('\n')).rejected[0]!.reason).toBe(
      '#path: not conn: zeek-conn reads conn.log only',
    )
    expect(parse('{"_path":"dns","ts":1,"uid":"C"}').rejected[0]!.reason).toBe(
      '_path: not conn: zeek-conn reads conn.log only',
    )
  })

  it('starts afresh at each #separator line (several logs in one input)', () => {
    const second = header.map((line) =>
      line.startsWith('#fields')
        ? '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto'
        : line,
    )
    const result = parse(
      [...header, row(), '#close\t2024', ...second, '1700000001.5\tCdef\t10.0.0.3\t1\t10.0.0.4\t2\tudp'].join(
        '\n',
      ),
    )
    expect(result.rejected).toEqual([])
    expect(result.records.map((record) => record.event.event_id)).toEqual(['CAbc', 'Cdef'])
  })

  it('reads JSON times as epoch seconds, epoch ms (JSON::TS_MILLIS) and ISO 8601, and a nested id', () => {
    const base = {
      uid: 'C1',
      proto: 'udp',
      'id.orig_h': '10.0.0.1',
      'id.orig_p': 5353,
      'id.resp_h': 'ff02::fb',
      'id.resp_p': 5353,
    }
    const result = parse(
      [
        JSON.stringify({ ...base, ts: 1617062400.404 }),
        JSON.stringify({ ...base, ts: 1617062400404 }),
        JSON.stringify({ ...base, ts: '2021-03-30T00:00:00.404Z' }),
        JSON.stringify({
          ts: 1617062400.404,
          uid: 'C2',
          proto: 'tcp',
          id: { orig_h: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 2 },
        }),
        JSON.stringify({ ...base, ts: true }),
      ].join('\n'),
    )
    expect(result.records.map((record) => record.event.ts)).toEqual([
      1617062400404, 1617062400404, 1617062400404, 1617062400404,
    ])
    expect(result.records[3]!.event).toMatchObject({ dst_ip: '10.0.0.2', dst_port: 2 })
    expect(result.rejected.map(({ reason }) => reason)).toEqual(['ts: not a number of epoch seconds'])
    expectValidFlows(result)
  })

  it('reads a JSON array, and makes nothing of an empty input', () => {
    const result = parse(
      '[{"ts":1,"uid":"C","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"tcp","conn_state":"REJ"}]',
    )
    expect(result.records[0]!.event).toMatchObject({ ts: 1000, verdict: 'denied' })
    expect(parse('')).toEqual({ records: [], rejected: [] })
  })

  it('derives an id from the record when it has no uid', () => {
    const a = parse(
      '{"ts":1,"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"tcp"}',
    )
    expect(a.records[0]!.event.event_id).toMatch(/^[0-9a-f]{32}$/)
  })

  it('splits a large TSV log with its header repeated, keeping line numbers', () => {
    const rows = Array.from({ length: 20 }, (_, i) => row({ uid: `C${i}` }))
    const text = [...header, ...rows, '#close\t2024'].join('\n')
    const parts = zeekConnParser.splitInput!(text, 900)
    expect(parts.length).toBeGreaterThan(1)
    const seen: [string, number][] = []
    for (const part of parts) {
      const result = parse(part.text)
      expect(result.rejected).toEqual([])
      for (const record of result.records)
        seen.push([record.event.event_id as string, record.line + part.firstLine - 1])
    }
    expect(seen).toEqual(rows.map((_, i) => [`C${i}`, header.length + i + 1]))
  })
})
