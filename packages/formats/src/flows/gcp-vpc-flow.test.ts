// Fixture (../shared/fixtures/gcp-vpc-flow): elastic-test-vpcflow-event-first13.json, from
// elastic/integrations, packages/gcp/data_stream/vpcflow/_dev/test/pipeline/test-vpcflow-event.json
// @ 73ca7bfd25c3 (Elastic License 2.0), trimmed to its first 13 events. It is Elastic's test
// envelope {"events":[{"json": LogEntry}]}: the test unwraps it into what Cloud Logging exports.
import { describe, expect, it } from 'vitest'
import { readSharedFixture, sharedFixturesAvailable } from '../testing/shared-fixtures.ts'
import { gcpVpcFlowParser } from './gcp-vpc-flow.ts'
import { expectStableIds } from './testing/expect-stable-ids.ts'
import { expectValidFlows } from './testing/expect-valid-flows.ts'

const parse = gcpVpcFlowParser.parse

function logEntries(): Record<string, unknown>[] {
  const envelope = JSON.parse(readSharedFixture('gcp-vpc-flow/elastic-test-vpcflow-event-first13.json')) as {
    events: { json: Record<string, unknown> }[]
  }
  return envelope.events.map((event) => event.json)
}

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))('gcp-vpc-flow > shared fixtures', () => {
  it('reads every LogEntry of an export (JSON lines), string counters included', () => {
    const text = logEntries()
      .map((entry) => JSON.stringify(entry))
      .join('\n')
    const result = parse(text)
    expect(result.rejected).toEqual([])
    expect(result.records).toHaveLength(13)
    expect(result.records[0]!.event).toEqual({
      event_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      ts: Date.parse('2019-06-14T03:45:37.186Z'),
      source: 'gcp-vpc-flow',
      src_identity: 'my-sample-project/kibana',
      src_ip: '10.87.40.76',
      dst_ip: '203.0.113.12',
      src_port: 5601,
      dst_port: 33478,
      protocol: 'tcp',
      // Kibana's port to the client's ephemeral one: Kibana answering, not reaching out.
      is_reply: true,
      server_port: 5601,
      bytes_sent: 1776,
      packets: 7,
      // 37.301953198 - 37.186193305 s, to the microsecond.
      duration_ms: 115.76,
    })
    // Reported by the destination VM: both ends are instances of the project (a public IP, anonymised).
    expect(result.records[1]!.event).toMatchObject({
      src_identity: 'my-sample-project/elasticsearch',
      dst_identity: 'my-sample-project/kibana',
      src_ip: '198.51.100.248',
      dst_port: 33970,
      bytes_sent: 173663,
      packets: 68,
    })
    // A record without rtt_msec and with zero bytes.
    expect(result.records[3]!.event).toMatchObject({ bytes_sent: 0, packets: 1, src_port: 22 })
    expectValidFlows(result)
    expectStableIds(gcpVpcFlowParser, text)
  })

  it('reads the same entries as a JSON array (gcloud logging read) with the same ids', () => {
    const entries = logEntries()
    const fromArray = parse(JSON.stringify(entries))
    const fromLines = parse(entries.map((entry) => JSON.stringify(entry)).join('\n'))
    expect(fromArray.records.map((record) => record.line)).toEqual(entries.map((_, index) => index + 1))
    expect(fromArray.records.map((record) => record.event.event_id)).toEqual(
      fromLines.records.map((record) => record.event.event_id),
    )
  })
})

describe('gcp-vpc-flow > edge cases', () => {
  const entry = (payload: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      insertId: 'abc',
      logName: 'projects/p/logs/compute.googleapis.com%2Fvpc_flows',
      timestamp: '2024-01-01T00:00:10Z',
      jsonPayload: {
        connection: { src_ip: '10.0.0.1', src_port: 1234, dest_ip: '10.0.0.2', dest_port: 443, protocol: 6 },
        bytes_sent: '100',
        packets_sent: '2',
        start_time: '2024-01-01T00:00:00.000000001Z',
        end_time: '2024-01-01T00:00:01Z',
        ...payload,
      },
      ...extra,
    })

  it('names a GKE pod namespace/pod, in preference to its node VM', () => {
    const result = parse(
      entry({
        src_gke_details: { pod: { pod_name: 'web-1', pod_namespace: 'shop' } },
        src_instance: { project_id: 'p', vm_name: 'gke-node-1' },
      }),
    )
    expect(result.records[0]!.event.src_identity).toBe('shop/web-1')
    expectValidFlows(result)
  })

  it('refuses a 64-bit counter past 2^53 rather than rounding it', () => {
    const result = parse(entry({ bytes_sent: '18446744073709551615' }))
    expect(result.rejected[0]!.reason).toBe('jsonPayload.bytes_sent: not a non-negative integer')
  })

  it('gives ICMP port 0, and rejects TCP without a destination port', () => {
    const icmp = parse(entry({ connection: { src_ip: '10.0.0.1', dest_ip: '2001:db8::1', protocol: 1 } }))
    expect(icmp.records[0]!.event).toMatchObject({ protocol: 'icmp', dst_port: 0, dst_ip: '2001:db8::1' })
    expectValidFlows(icmp)
    const tcp = parse(entry({ connection: { src_ip: '10.0.0.1', dest_ip: '10.0.0.2', protocol: 6 } }))
    expect(tcp.rejected[0]!.reason).toBe(
      'jsonPayload.connection.dest_port: absent: a flow needs a destination port',
    )
  })

  it('reads a firewall rules log disposition as the verdict', () => {
    const denied = parse(entry({ disposition: 'DENIED', start_time: undefined, end_time: undefined }))
    expect(denied.records[0]!.event).toMatchObject({
      verdict: 'denied',
      ts: Date.parse('2024-01-01T00:00:10Z'),
    })
    expectValidFlows(denied)
  })

  it('derives the id from insertId, logName and timestamp, whatever else the entry holds', () => {
    const a = parse(entry({}))
    const b = parse(entry({ rtt_msec: '5' }))
    const c = parse(entry({}, { insertId: 'abd' }))
    expect(a.records[0]!.event.event_id).toBe(b.records[0]!.event.event_id)
    expect(a.records[0]!.event.event_id).not.toBe(c.records[0]!.event.event_id)
  })

  it('rejects what is not a flow entry, one line at a time', () => {
    const result = parse(
      [
        entry({}),
        'not json',
        '{"textPayload":"hello"}',
        entry({ connection: { src_ip: 'x', dest_ip: '10.0.0.2', dest_port: 1, protocol: 6 } }),
        '42',
      ].join('\n'),
    )
    expect(result.records.map((record) => record.line)).toEqual([1])
    expect(result.rejected.map(({ line, reason }) => [line, reason])).toEqual([
      [2, expect.stringMatching(/^not valid JSON/)],
      [3, 'jsonPayload: absent: not a VPC flow log LogEntry'],
      [4, 'jsonPayload.connection.src_ip: not an IP address'],
      [5, 'record: not an object'],
    ])
  })

  it('rejects a bad time, and an end before the start', () => {
    expect(parse(entry({ start_time: '2024-01-01 00:00:00' })).rejected[0]!.reason).toBe(
      'jsonPayload.start_time: not an RFC 3339 time with a zone',
    )
    expect(parse(entry({ end_time: '2023-12-31T23:59:59Z' })).rejected[0]!.reason).toBe(
      'jsonPayload.end_time: earlier than the start',
    )
  })

  it('makes nothing of an empty input, and one rejection of a broken array', () => {
    expect(parse('')).toEqual({ records: [], rejected: [] })
    expect(parse('[{"a":1}').rejected).toEqual([expect.objectContaining({ line: 1 })])
  })
})
