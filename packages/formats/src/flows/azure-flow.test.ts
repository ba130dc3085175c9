// Fixture (../shared/fixtures/azure-nsg-flow): elastic-sample-testdata.log, from elastic/integrations,
// packages/azure_network_watcher_nsg/_dev/deploy/docker/sample_logs/testdata.log @ 1f3d86b9b49e
// (Elastic License 2.0): Microsoft's documented NSG v2 sample, one {"records":[...]} line.
// There is no VNet flow log fixture: the VNet records below are constructed in the shape Microsoft
// documents (learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview, "Log format").
import { describe, expect, it } from 'vitest'
import { readSharedFixture, sharedFixturesAvailable } from '../testing/shared-fixtures.ts'
import { azureNsgFlowParser, azureVnetFlowParser } from './azure-flow.ts'
import { expectStableIds } from './testing/expect-stable-ids.ts'
import { expectValidFlows } from './testing/expect-valid-flows.ts'

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
  'azure-nsg-flow > shared fixtures',
  () => {
    it('reads each of the 11 flow tuples of the two records as an event', () => {
      const text = readSharedFixture('azure-nsg-flow/elastic-sample-testdata.log')
      const result = azureNsgFlowParser.parse(text)
      expect(result.rejected).toEqual([])
      expect(result.records).toHaveLength(11)
      expect(result.records.every((record) => record.line === 1)).toBe(true)
      // A denied begin tuple: empty counters, which the schema's defaults (0) match.
      expect(result.records[0]!.raw).toBe('1542110402,94.102.49.190,10.5.16.4,28746,443,U,I,D,B,,,,')
      expect(result.records[0]!.event).toEqual({
        event_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        ts: 1542110402000,
        source: 'azure-nsg-flow',
        src_ip: '94.102.49.190',
        dst_ip: '10.5.16.4',
        src_port: 28746,
        dst_port: 443,
        protocol: 'udp',
        verdict: 'denied',
        // A flow tuple is the connection as its initiator opened it.
        is_reply: false,
        server_port: 443,
      })
      expect(result.records[5]!.event).toMatchObject({
        ts: 1542110379000,
        src_ip: '10.5.16.4',
        dst_ip: '13.67.143.115',
        src_port: 44931,
        dst_port: 443,
        protocol: 'tcp',
        verdict: 'allowed',
        bytes_sent: 16978,
        bytes_received: 14008,
        packets: 54,
      })
      expect(result.records.filter((record) => record.event.verdict === 'denied')).toHaveLength(7)
      expectValidFlows(result)
      expectStableIds(azureNsgFlowParser, text)
    })

    it('numbers the tuples of a pretty-printed blob by their own lines, with the same ids', () => {
      const text = readSharedFixture('azure-nsg-flow/elastic-sample-testdata.log')
      const pretty = JSON.stringify(JSON.parse(text), null, 2)
      const result = azureNsgFlowParser.parse(pretty)
      const lines = pretty.split('\n')
      for (const record of result.records) expect(lines[record.line - 1]).toContain(record.raw)
      expect(result.records.map((record) => record.event.event_id)).toEqual(
        azureNsgFlowParser.parse(text).records.map((record) => record.event.event_id),
      )
    })
  },
)

const nsgRecord = (tuples: string[], version = 2) => ({
  time: '2024-01-01T00:01:00.0000000Z',
  resourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/N',
  category: 'NetworkSecurityGroupFlowEvent',
  properties: {
    Version: version,
    flows: [{ rule: 'UserRule_web', flows: [{ mac: '000D3AF87856', flowTuples: tuples }] }],
  },
})

const vnetRecord = (tuples: string[]) => ({
  time: '2024-01-01T00:01:00.0000000Z',
  flowLogVersion: 4,
  flowLogGUID: '00000000-0000-0000-0000-000000000001',
  macAddress: '00224871C205',
  category: 'FlowLogFlowEvent',
  flowLogResourceID:
    '/SUBSCRIPTIONS/S/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/W/FLOWLOGS/F',
  targetResourceID: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v',
  operationName: 'FlowLogFlowEvent',
  flowRecords: {
    flows: [
      {
        aclID: '00000000-0000-0000-0000-000000000002',
        flowGroups: [{ rule: 'DefaultRule_AllowInternetOutBound', flowTuples: tuples }],
      },
    ],
  },
})

describe('azure-nsg-flow > edge cases', () => {
  const parse = azureNsgFlowParser.parse

  it('reads version 1 tuples, which have no state or counters', () => {
    const result = parse(
      JSON.stringify({ records: [nsgRecord(['1700000000,10.0.0.1,10.0.0.2,1234,22,T,I,A'], 1)] }),
    )
    expect(result.records[0]!.event).toMatchObject({ ts: 1700000000000, dst_port: 22, verdict: 'allowed' })
    expect(result.records[0]!.event.packets).toBeUndefined()
    // Without a Version, the tuple's length tells.
    const versionless = nsgRecord(['1700000000,10.0.0.1,10.0.0.2,1234,22,T,I,A'])
    delete (versionless.properties as { Version?: number }).Version
    expect(parse(JSON.stringify(versionless)).rejected).toEqual([])
    expectValidFlows(result)
  })

  it('reads streamed documents, one per line, and IPv6 tuples', () => {
    const lines = [
      JSON.stringify({
        records: [nsgRecord(['1700000000,2001:db8::1,2001:db8::2,1234,443,T,O,A,E,3,300,2,200'])],
      }),
      JSON.stringify({ records: [nsgRecord(['1700000060,10.0.0.1,10.0.0.2,1234,443,T,O,A,C,1,60,1,60'])] }),
    ]
    const result = parse(lines.join('\n'))
    expect(result.records.map((record) => record.line)).toEqual([1, 2])
    expect(result.records[0]!.event).toMatchObject({ src_ip: '2001:db8::1', bytes_sent: 300, packets: 5 })
    expectValidFlows(result)
  })

  it('names the tuple field that is wrong, one tuple at a time', () => {
    const tuples = [
      '1700000000,10.0.0.1,10.0.0.2,1234,443,T,O,A,E,1,60,1,60',
      '1700000000,10.0.0.1,10.0.0.2,1234,443,T,O,A,E,1,60,1',
      '1700000000,10.0.0.1,10.0.0.999,1234,443,T,O,A,E,1,60,1,60',
      '1700000000,10.0.0.1,10.0.0.2,1234,443,X,O,A,E,1,60,1,60',
      '1700000000,10.0.0.1,10.0.0.2,1234,443,T,O,Q,E,1,60,1,60',
      '1700000000,10.0.0.1,10.0.0.2,1234,443,T,O,A,E,1,sixty,1,60',
      'soon,10.0.0.1,10.0.0.2,1234,443,T,O,A,E,1,60,1,60',
    ]
    const result = parse(JSON.stringify({ records: [nsgRecord(tuples)] }))
    expect(result.records).toHaveLength(1)
    expect(result.rejected.map(({ reason }) => reason)).toEqual([
      'records[0]: tuple 2: flowTuple: 12 fields, an NSG version 2 tuple has 13',
      'records[0]: tuple 3: flowTuple destination IP (field 3): not an IP address',
      'records[0]: tuple 4: flowTuple protocol (field 6): not T or U',
      'records[0]: tuple 5: flowTuple decision (field 8): not A or D',
      'records[0]: tuple 6: flowTuple bytes source to destination (field 11): not a non-negative integer',
      'records[0]: tuple 7: flowTuple time (field 1, epoch seconds): not a non-negative integer',
    ])
    expect(result.rejected[0]!.raw).toBe(tuples[1])
  })

  it('rejects a record that is not an NSG flow log, pointing a VNet one to its parser', () => {
    const result = parse(JSON.stringify({ records: [vnetRecord([]), { time: 'x' }] }))
    expect(result.rejected.map(({ reason }) => reason)).toEqual([
      'records[0]: properties.flows: absent: not an NSG flow log record (this is a VNet flow log: send it to azure-vnet-flow)',
      'records[1]: properties: not an object',
    ])
  })

  it('rejects a blob cut short once, not line by line, and makes nothing of an empty input', () => {
    const pretty = JSON.stringify(
      { records: [nsgRecord(['1700000000,10.0.0.1,10.0.0.2,1234,443,T,O,A,B,,,,'])] },
      null,
      2,
    )
    const result = parse(pretty.slice(0, -20))
    expect(result.records).toEqual([])
    expect(result.rejected).toEqual([
      expect.objectContaining({ line: 1, reason: expect.stringMatching(/^not valid JSON/) }),
    ])
    expect(parse('')).toEqual({ records: [], rejected: [] })
    expect(parse('{"records":[]}')).toEqual({ records: [], rejected: [] })
  })

  it('keeps the readable lines of a stream when one line is broken', () => {
    const good = JSON.stringify({
      records: [nsgRecord(['1700000000,10.0.0.1,10.0.0.2,1234,443,T,O,A,B,,,,'])],
    })
    const result = parse(`${good}\n{"records":[\n${good}`)
    expect(result.records.map((record) => record.line)).toEqual([1, 3])
    expect(result.rejected.map(({ line }) => line)).toEqual([2])
  })

  it('numbers a tuple repeated on two lines by its own line', () => {
    const tuple = '1700000000,10.0.0.1,10.0.0.2,1234,443,T,O,A,B,,,,'
    const text = JSON.stringify({ records: [nsgRecord([tuple, tuple])] }, null, 2)
    expect(parse(text).records.map((record) => record.line)).toEqual([
      text.split('\n').findIndex((line) => line.includes(tuple)) + 1,
      text.split('\n').findLastIndex((line) => line.includes(tuple)) + 1,
    ])
  })

  it('gives the same tuple under another NSG or rule another id', () => {
    const tuple = '1700000000,10.0.0.1,10.0.0.2,1234,443,T,O,A,B,,,,'
    const a = nsgRecord([tuple])
    const b = { ...nsgRecord([tuple]), resourceId: 'other' }
    const ids = parse(JSON.stringify({ records: [a, b] })).records.map((record) => record.event.event_id)
    expect(new Set(ids).size).toBe(2)
  })
})

describe('azure-vnet-flow > edge cases', () => {
  const parse = azureVnetFlowParser.parse
  const tuples = [
    '1704067200000,10.0.0.6,192.0.2.180,23956,443,6,O,B,NX,0,0,0,0',
    '1704067260123,10.0.0.6,192.0.2.180,23956,443,6,O,E,X,10,1200,8,5400',
    '1704067200500,198.51.100.7,10.0.0.6,50000,22,6,I,D,NX,1,60,0,0',
    '1704067200600,10.0.0.6,2001:db8::53,5353,53,17,O,C,NX_HW_NOT_SUPPORTED,1,80,1,120',
  ]

  it('reads each tuple as an event: millisecond times, IANA protocols, state D as denied', () => {
    const text = JSON.stringify({ records: [vnetRecord(tuples)] })
    const result = parse(text)
    expect(result.rejected).toEqual([])
    expect(result.records.map((record) => record.event)).toEqual([
      expect.objectContaining({
        ts: 1704067200000,
        protocol: 'tcp',
        verdict: 'allowed',
        packets: 0,
        dst_port: 443,
      }),
      expect.objectContaining({ ts: 1704067260123, bytes_sent: 1200, bytes_received: 5400, packets: 18 }),
      expect.objectContaining({ src_ip: '198.51.100.7', dst_port: 22, verdict: 'denied' }),
      expect.objectContaining({ protocol: 'udp', dst_ip: '2001:db8::53', source: 'azure-vnet-flow' }),
    ])
    expectValidFlows(result)
    expectStableIds(azureVnetFlowParser, text)
  })

  it('maps the encryption status and rejects one it cannot read', () => {
    const result = parse(
      JSON.stringify({
        records: [
          vnetRecord([
            '1704067200000,10.0.0.6,192.0.2.180,1,443,6,O,B,maybe,0,0,0,0',
            '1704067200000,10.0.0.6,192.0.2.180,2,443,6,O,B,X,0,0,0,0',
            '1704067200000,10.0.0.6,192.0.2.180,3,443,6,O,B,NX_HW_NOT_PRESENT,0,0,0,0',
          ]),
        ],
      }),
    )
    expect(result.rejected[0]!.reason).toBe(
      'records[0]: tuple 1: flowTuple encryption (field 9): not X, NX or NX_<reason>',
    )
    expect(result.records.map((record) => record.event.encrypted)).toEqual([true, false])
    expectValidFlows(result)
  })

  it('rejects bad states and directions, and points an NSG record to its parser', () => {
    const result = parse(
      JSON.stringify({
        records: [
          vnetRecord([
            '1704067200000,10.0.0.6,192.0.2.180,1,443,6,O,A,X,0,0,0,0',
            '1704067200000,10.0.0.6,192.0.2.180,1,443,6,X,B,X,0,0,0,0',
          ]),
          nsgRecord([]),
        ],
      }),
    )
    expect(result.rejected.map(({ reason }) => reason)).toEqual([
      'records[0]: tuple 1: flowTuple state (field 8): not B, C, E or D',
      'records[0]: tuple 2: flowTuple direction (field 7): not I or O',
      'records[1]: flowRecords: absent: not a VNet flow log record (this is an NSG flow log: send it to azure-nsg-flow)',
    ])
  })

  it('quarantines a record as received, on its own line and once, with where it is in its document', () => {
    // A record that has no time (the line used to stay at 1), and one whose number JSON cannot
    // hold (re-serialised, 1e400 became null).
    const text = [
      JSON.stringify({ records: [vnetRecord(['1704067200000,10.0.0.6,192.0.2.180,2,443,6,O,B,X,0,0,0,0'])] }),
      '{"records":[{"flowRecords":7}]}',
      '{"records":[{"time":"t"},{"time":1e400,"flowRecords":{"flows":1e400}}]}',
    ].join('\n')
    const result = parse(text)
    expect(result.records).toHaveLength(1)
    expect(result.rejected).toEqual([
      { line: 2, raw: '{"flowRecords":7}', reason: 'records[0]: flowRecords: not an object' },
      { line: 3, raw: '{"time":"t"}', reason: expect.stringMatching(/^records\[0\]: flowRecords: absent/) },
      {
        line: 3,
        raw: '{"time":1e400,"flowRecords":{"flows":1e400}}',
        reason: 'records[1]: flowRecords.flows: not an array',
      },
    ])
  })
})
