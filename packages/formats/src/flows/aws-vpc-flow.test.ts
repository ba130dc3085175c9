// Fixtures (../shared/fixtures/aws-vpc-flow, see its README for each file's quirks):
// - awsdocs-*.log: awsdocs/amazon-vpc-user-guide, doc_source/flow-logs-records-examples.md
//   @ a16ab76ed2f6 (CC BY-SA 4.0), record lines extracted from the documentation.
// - elastic-test-*.log: elastic/integrations, packages/aws/data_stream/vpcflow/_dev/test/pipeline/
//   test-extra-samples.log @ 3293a89e1050, test-ecs-samples.log @ 5a3a78e1bab5,
//   test-tcp-flag-sequence.log @ 013f7d529fb7, test-v5-all-fields.log (+ -expected.json)
//   @ c81e9fe78b8c / 136ebec10fe3, test-tgw-samples.log @ 3fe1405daac4 (Elastic License 2.0).
import { describe, expect, it } from 'vitest'
import { readSharedFixture, sharedFixturesAvailable } from '../testing/shared-fixtures.ts'
import { awsVpcFlowParser } from './aws-vpc-flow.ts'
import { expectStableIds } from './testing/expect-stable-ids.ts'
import { expectValidFlows } from './testing/expect-valid-flows.ts'

const parse = awsVpcFlowParser.parse
const v2Fields =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'
/** The v5 fields in the documentation's table order (what the console's "all fields" gives). */
const v5Fields = `${v2Fields} vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path`
const ecsFields = `${v5Fields} ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id`
const tgwFields =
  'version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service'

const noData = 'log-status NODATA: no traffic in the capture window, not a flow'
const skipData = expect.stringMatching(/^log-status SKIPDATA: AWS skipped flow records/)

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))('aws-vpc-flow > shared fixtures', () => {
  it('reads the documented v2 default records, and rejects the NODATA and SKIPDATA ones', () => {
    const text = readSharedFixture('aws-vpc-flow/awsdocs-default-v2.log')
    const result = parse(text)
    expect(result.records.map((record) => record.line)).toEqual([1, 2, 5, 6, 7])
    expect(result.rejected.map(({ line, reason }) => ({ line, reason }))).toEqual([
      { line: 3, reason: noData },
      { line: 4, reason: skipData },
    ])
    expect(result.records[0]!.event).toEqual({
      event_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      ts: 1418530010000,
      source: 'aws-vpc-flow',
      src_ip: '172.31.16.139',
      dst_ip: '172.31.16.21',
      src_port: 20641,
      dst_port: 22,
      protocol: 'tcp',
      // No tcp-flags in v2: the ports decide (an ephemeral port to ssh's).
      is_reply: false,
      server_port: 22,
      verdict: 'allowed',
      bytes_sent: 4249,
      packets: 20,
      duration_ms: 60000,
    })
    expect(result.records[1]!.event).toMatchObject({ dst_port: 3389, verdict: 'denied' })
    // The ICMP pair: ports are 0, and the NACL rejected the reply.
    expect(result.records[2]!.event).toMatchObject({ protocol: 'icmp', dst_port: 0, verdict: 'allowed' })
    expect(result.records[3]!.event).toMatchObject({ protocol: 'icmp', dst_port: 0, verdict: 'denied' })
    expect(result.records[4]!.event).toMatchObject({
      src_ip: '2001:db8:1234:a100:8d6e:3477:df66:f105',
      dst_ip: '2001:db8:1234:a102:3304:8879:34cf:4071',
      duration_ms: 112000,
    })
    expectValidFlows(result)
    expectStableIds(awsVpcFlowParser, text)
  })

  it('gives a record the same id in every file it appears in', () => {
    const docs = parse(readSharedFixture('aws-vpc-flow/awsdocs-default-v2.log'))
    const elastic = parse(readSharedFixture('aws-vpc-flow/elastic-test-extra-samples.log'))
    expect(elastic.records).toHaveLength(5)
    expect(elastic.rejected).toHaveLength(2)
    expectValidFlows(elastic)
    // The IPv6 record is line 7 of one and line 1 of the other, byte for byte.
    expect(elastic.records[0]!.event.event_id).toBe(docs.records[4]!.event.event_id)
    expectStableIds(awsVpcFlowParser, readSharedFixture('aws-vpc-flow/elastic-test-extra-samples.log'))
  })

  it('reads a v3 custom format by its header line, runs of blanks included', () => {
    const text = readSharedFixture('aws-vpc-flow/awsdocs-custom-v3-tcp-flags.log')
    const result = parse(text)
    expect(result.rejected).toEqual([])
    expect(result.records.map((record) => record.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9])
    expect(result.records[5]!.event).toMatchObject({
      ts: 1566848933000,
      src_ip: '52.213.180.42',
      dst_ip: '10.0.0.62',
      src_port: 43418,
      dst_port: 5001,
      bytes_sent: 23294588,
      packets: 15774,
      duration_ms: 180000,
    })
    // The last line has two spaces before pkt-srcaddr.
    expect(result.records[7]!.event).toMatchObject({ src_port: 5001, dst_port: 43638, bytes_sent: 967 })
    expectValidFlows(result)
    expectStableIds(awsVpcFlowParser, text)
  })

  it('reads which side each record shows from tcp-flags (SYN: the client, SYN-ACK: the server), else from the ports', () => {
    const result = parse(readSharedFixture('aws-vpc-flow/awsdocs-custom-v3-tcp-flags.log'))
    // Flags per line: 2, 18, 2, 18, 1, 1, 3, 19. FIN-only records (1) say nothing: the ports decide.
    expect(result.records.map((record) => [record.event.is_reply, record.event.server_port])).toEqual([
      [false, 5001],
      [true, 5001],
      [false, 5001],
      [true, 5001],
      [true, 5001],
      [false, 5001],
      [false, 5001],
      [true, 5001],
    ])
  })

  it('reads a v5 custom format whose fields are in a non-default order', () => {
    const text = readSharedFixture('aws-vpc-flow/awsdocs-custom-v5-traffic-path.log')
    const result = parse(text)
    expect(result.rejected).toEqual([])
    expect(result.records.map((record) => record.event)).toEqual([
      expect.objectContaining({
        ts: 1616729292000,
        src_ip: '52.95.128.179',
        dst_ip: '10.0.0.71',
        src_port: 80,
        dst_port: 34210,
        protocol: 'tcp',
        packets: 14,
        bytes_sent: 15044,
        verdict: 'allowed',
        duration_ms: 57000,
      }),
      expect.objectContaining({ src_ip: '10.0.0.71', dst_port: 80, packets: 7, bytes_sent: 471 }),
    ])
    expectValidFlows(result)
    expectStableIds(awsVpcFlowParser, text)
  })

  it('reads a file whose header is repeated before each record (concatenated objects)', () => {
    const text = readSharedFixture('aws-vpc-flow/elastic-test-tcp-flag-sequence.log')
    const result = parse(text)
    expect(result.records.map((record) => record.line)).toEqual([2])
    expect(result.records[0]!.event).toMatchObject({ src_port: 43416, dst_port: 5001, bytes_sent: 568 })
    expect(result.rejected.map(({ line, reason }) => ({ line, reason }))).toEqual([
      { line: 4, reason: skipData },
      { line: 6, reason: noData },
    ])
    expectValidFlows(result)
  })

  it('reads the header-less v5 file with options.fields, matching the values Elastic expects', () => {
    const text = readSharedFixture('aws-vpc-flow/elastic-test-v5-all-fields.log')
    const expected = JSON.parse(
      readSharedFixture('aws-vpc-flow/elastic-test-v5-all-fields.log-expected.json'),
    ).expected[0]
    const result = parse(text, { fields: v5Fields })
    expect(result.rejected).toEqual([])
    expect(result.records[0]!.event).toMatchObject({
      // The start field is truncated in the source (1975); it is read as written.
      ts: Date.parse(expected.event.start),
      duration_ms: Date.parse(expected.event.end) - Date.parse(expected.event.start),
      src_ip: expected.source.ip,
      src_port: expected.source.port,
      dst_ip: expected.destination.ip,
      dst_port: expected.destination.port,
      protocol: expected.network.transport,
      bytes_sent: expected.source.bytes,
      packets: expected.source.packets,
      verdict: 'denied',
    })
    expectValidFlows(result)
  })

  it('rejects the header-less v5 file without options.fields, saying how to read it', () => {
    const result = parse(readSharedFixture('aws-vpc-flow/elastic-test-v5-all-fields.log'))
    expect(result.records).toEqual([])
    expect(result.rejected).toEqual([
      expect.objectContaining({
        line: 1,
        reason:
          "record has 29 fields, the default format (version 2) names 14: give the flow log's format in options.fields, or keep its header line",
      }),
    ])
  })

  it('reads the v7 ECS custom format with options.fields, rejecting the NODATA and SKIPDATA rows', () => {
    const text = readSharedFixture('aws-vpc-flow/elastic-test-ecs-samples.log')
    const result = parse(text, { fields: ecsFields })
    expect(result.records.map((record) => record.line)).toEqual([1, 4, 5, 6])
    expect(result.rejected.map(({ line }) => line)).toEqual([2, 3, 7, 8, 9, 10])
    expect(result.records[0]!.event).toMatchObject({
      ts: 1755678619000,
      src_ip: '1.128.0.0',
      dst_ip: '2a02:cf40::',
      src_port: 64072,
      dst_port: 22,
      protocol: 'udp',
      packets: 46,
      bytes_sent: 14927,
      verdict: 'denied',
      duration_ms: 22000,
    })
    expectValidFlows(result)
    expectStableIds(awsVpcFlowParser, text, { fields: ecsFields })
  })

  it('reads Transit Gateway records, which have no action, as allowed', () => {
    const text = readSharedFixture('aws-vpc-flow/elastic-test-tgw-samples.log')
    const result = parse(text, { fields: tgwFields })
    expect(result.records.map((record) => record.line)).toEqual([3, 7, 9])
    expect(result.rejected.map(({ reason }) => reason)).toEqual([
      skipData,
      noData,
      skipData,
      skipData,
      skipData,
      skipData,
      skipData,
    ])
    expect(result.records[0]!.event).toMatchObject({
      src_ip: '216.160.83.56',
      dst_ip: '89.160.20.128',
      src_port: 36721,
      dst_port: 8080,
      protocol: 'udp',
      packets: 13,
      bytes_sent: 6842,
    })
    expect(result.records[0]!.event.verdict).toBeUndefined()
    expectValidFlows(result)
    expectStableIds(awsVpcFlowParser, text, { fields: tgwFields })
  })
})

describe('aws-vpc-flow > edge cases', () => {
  const header = 'srcaddr dstaddr dstport protocol start end action'

  it('reads a custom field order given as the LogFormat string, and as a comma list', () => {
    const line = '10.0.0.1 10.0.0.2 443 6 1700000000 1700000060 ACCEPT'
    const expected = { src_ip: '10.0.0.1', dst_ip: '10.0.0.2', dst_port: 443, ts: 1700000000000 }
    // biome-ignore lint/suspicious/noTemplateCurlyInString: AWS's LogFormat syntax, not a template
    const format = '${srcaddr} ${dstaddr} ${dstport} ${protocol} ${start} ${end} ${action}'
    expect(parse(line, { fields: format }).records[0]!.event).toMatchObject(expected)
    expect(parse(line, { fields: header.replaceAll(' ', ',') }).records[0]!.event).toMatchObject(expected)
    expectValidFlows(parse(line, { fields: format }))
  })

  it('lets a header line win over options.fields for the records after it', () => {
    const text = `${header}\n10.0.0.1 10.0.0.2 443 6 1700000000 1700000060 ACCEPT`
    const result = parse(text, { fields: v2Fields })
    expect(result.rejected).toEqual([])
    expect(result.records[0]!.event).toMatchObject({ dst_port: 443, src_ip: '10.0.0.1' })
  })

  it('rejects every record when options.fields is not a field list', () => {
    const result = parse('2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK', { fields: 'Version, $$' })
    expect(result.rejected).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(/^options\.fields: not a list of flow log field names/),
      }),
    ])
  })

  it('names the field of a bad value, one record at a time', () => {
    const good = '2 1 eni-1 10.0.0.1 10.0.0.2 1024 443 6 10 840 1700000000 1700000060 ACCEPT OK'
    const lines = [
      good,
      good.replace(' 443 ', ' https '),
      good.replace(' 840 ', ' 84x '),
      good.replace('10.0.0.2', '10.0.0.256'),
      good.replace('1700000000', 'soon'),
      good.replace('ACCEPT', 'ALLOW'),
      good.replace('1700000060', '1699999999'),
      good.replace(' 443 ', ' 70000 '),
      good.replace(' 6 ', ' - ').replace(' 443 ', ' - '),
    ]
    const result = parse(lines.join('\n'))
    expect(result.records.map((record) => record.line)).toEqual([1])
    expect(result.rejected.map(({ line, reason }) => [line, reason])).toEqual([
      [2, 'dstport: not a port number (0-65535)'],
      [3, 'bytes: not a non-negative integer'],
      [4, 'dstaddr: not an IP address'],
      [5, 'start: not a number of epoch seconds'],
      [6, 'action: not ACCEPT or REJECT'],
      [7, 'end: earlier than the start'],
      [8, 'dstport: not a port number (0-65535)'],
      [9, 'dstport: absent: a flow needs a destination port'],
    ])
  })

  it('reads a record without protocol as other, never as the default tcp', () => {
    const result = parse('10.0.0.1 10.0.0.2 443 1700000000', { fields: 'srcaddr dstaddr dstport start' })
    expect(result.records[0]!.event).toMatchObject({ protocol: 'other', dst_port: 443 })
    expect(result.records[0]!.event.verdict).toBeUndefined()
    expectValidFlows(result)
  })

  it('takes the end as the time when the start is absent, and rejects a record with neither', () => {
    const fields = 'srcaddr dstaddr dstport protocol start end'
    const result = parse('10.0.0.1 10.0.0.2 443 6 - 1700000060\n10.0.0.1 10.0.0.2 443 6 - -', { fields })
    expect(result.records[0]!.event).toMatchObject({ ts: 1700000060000 })
    expect(result.records[0]!.event.duration_ms).toBeUndefined()
    expect(result.rejected[0]!.reason).toBe('start: absent, and no end either: a flow needs a time')
  })

  it('reads ICMPv6 (58) as icmp with port 0', () => {
    const result = parse('2 1 eni-1 2001:db8::1 2001:db8::2 0 0 58 1 64 1700000000 1700000001 ACCEPT OK')
    expect(result.records[0]!.event).toMatchObject({ protocol: 'icmp', dst_port: 0, src_ip: '2001:db8::1' })
    expectValidFlows(result)
  })

  it('skips blank lines, takes CRLF endings, and makes nothing of an empty input', () => {
    const result = parse(
      '\r\n2 1 eni-1 10.0.0.1 10.0.0.2 1024 443 6 10 840 1700000000 1700000060 ACCEPT OK\r\n\r\n',
    )
    expect(result.records.map((record) => record.line)).toEqual([2])
    expect(parse('')).toEqual({ records: [], rejected: [] })
    expect(parse('\n \n')).toEqual({ records: [], rejected: [] })
  })

  it('splits a large input with the header repeated, keeping line numbers', () => {
    const records = Array.from(
      { length: 6 },
      (_, i) => `10.0.0.${i + 1} 10.0.0.9 443 6 1700000000 1700000060 ACCEPT`,
    )
    const text = [header, ...records].join('\n')
    const parts = awsVpcFlowParser.splitInput!(text, 120)
    expect(parts.length).toBeGreaterThan(1)
    const lines: number[] = []
    for (const part of parts) {
      expect(part.text.startsWith(header)).toBe(true)
      const result = parse(part.text)
      expect(result.rejected).toEqual([])
      lines.push(...result.records.map((record) => record.line + part.firstLine - 1))
    }
    expect(lines).toEqual([2, 3, 4, 5, 6, 7])
  })
})
